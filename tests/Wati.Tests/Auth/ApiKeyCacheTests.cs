using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Auth;
using Wati.Platform.Common;
using Wati.Platform.Data.Sqlite;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// API-key lookups are remembered a few seconds (docs/decisions/0010): a revocation takes effect at once
/// in the process that revokes, and within <see cref="AuthCache{TValue}.Lifetime"/> in another one.
/// </summary>
public sealed class ApiKeyCacheTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Revocation_is_seen_at_once_here_and_within_the_cache_lifetime_elsewhere()
    {
        using var store = new SqliteTableStore(_dir.File("tables.db"));
        var here = new ApiKeyService(store, new RandomIdGenerator(), _time);
        var elsewhere = new ApiKeyService(store, new RandomIdGenerator(), _time); // another instance, same store
        var key = await here.CreateAsync("usr_one", "laptop", CancellationToken.None);

        Assert.Equal(("usr_one", key.Id), await here.ResolveAsync(key.Key, CancellationToken.None));
        Assert.Equal(("usr_one", key.Id), await elsewhere.ResolveAsync(key.Key, CancellationToken.None));

        await here.RevokeAsync("usr_one", key.Id, CancellationToken.None);
        Assert.Null(await here.ResolveAsync(key.Key, CancellationToken.None));

        // The other instance still trusts what it read, but no longer than the cache lifetime.
        _time.Advance(AuthCache<string>.Lifetime + TimeSpan.FromMilliseconds(1));
        Assert.Null(await elsewhere.ResolveAsync(key.Key, CancellationToken.None));
    }

    [Fact]
    public async Task Last_use_is_recorded_without_a_write_per_request()
    {
        using var store = new SqliteTableStore(_dir.File("tables.db"));
        var keys = new ApiKeyService(store, new RandomIdGenerator(), _time);
        var key = await keys.CreateAsync("usr_two", "ci", CancellationToken.None);
        var first = _time.GetUtcNow();
        await keys.ResolveAsync(key.Key, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        await keys.ResolveAsync(key.Key, CancellationToken.None);
        var listed = (await keys.ListAsync("usr_two", new PageRequest(1, 20), CancellationToken.None)).Items.Single();
        Assert.Equal(first, listed.LastUsedAt); // the second use, 30 s later, wrote nothing

        _time.Advance(TimeSpan.FromSeconds(31));
        await keys.ResolveAsync(key.Key, CancellationToken.None);
        listed = (await keys.ListAsync("usr_two", new PageRequest(1, 20), CancellationToken.None)).Items.Single();
        Assert.Equal(_time.GetUtcNow(), listed.LastUsedAt);
    }

    public void Dispose() => _dir.Dispose();
}
