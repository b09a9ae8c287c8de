using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Auth;
using Wati.Platform.Common;
using Wati.Platform.Data.Sqlite;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 2: a flood of bogus bearer strings must leave nothing behind in the authentication
/// caches (it grew the process from 107 MB to 875 MB); what is remembered is bounded in count and key size.
/// </summary>
public sealed class AuthFloodTests : IDisposable
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ThirtyThousandBogusTokensAndKeysLeaveNothingInTheCaches()
    {
        using var store = new SqliteTableStore(_dir.File("tables.db"));
        var tokens = new TokenService(Options.Create(new AuthOptions()), new SigningKey(Key), _time);
        var keys = new ApiKeyService(store, new RandomIdGenerator(), _time);
        var auth = new Authenticator(tokens, keys, store, _time);

        var real = tokens.Issue("usr_real", Roles.User).Token;
        Assert.NotNull(await auth.TryAuthenticateAsync(Request(real), default));
        Assert.Equal(1, tokens.RememberedValidations);

        var random = new Random(24);
        for (var i = 0; i < 30_000; i++)
        {
            var bogus = (i % 3) switch
            {
                0 => "eyJhbGciOiJIUzI1NiJ9." + new string((char)('a' + random.Next(26)), 4000) + "." + i, // 4 KB, JWT-shaped
                1 => ApiKeyService.KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('='),
                _ => real[..^4] + i.ToString("D4"),                                                        // a forged signature
            };
            Assert.Null(await auth.TryAuthenticateAsync(Request(bogus), default));
        }

        Assert.Equal(1, tokens.RememberedValidations); // only the real token
        Assert.Equal(0, keys.RememberedLookups);
    }

    [Fact]
    public async Task TheCacheHoldsAtMostItsBoundAndNeverALongKey()
    {
        var cache = new AuthCache<int>(_time);
        for (var i = 0; i < AuthCache<int>.MaxEntries + 20_000; i++)
            await cache.GetOrLoadAsync("k" + i, i, static (v, _) => Task.FromResult(v), default);
        Assert.InRange(cache.Count, 1, AuthCache<int>.MaxEntries);
        Assert.True(cache.KeyChars <= (long)cache.Count * AuthCache<int>.MaxKeyLength);

        var before = cache.Count;
        await cache.GetOrLoadAsync(new string('x', AuthCache<int>.MaxKeyLength + 1), 1, static (v, _) => Task.FromResult(v), default);
        Assert.Equal(before, cache.Count);
    }

    [Fact]
    public async Task ExpiredEntriesAreSweptBeforeLiveOnesAreDropped()
    {
        var cache = new AuthCache<int>(_time);
        for (var i = 0; i < AuthCache<int>.MaxEntries; i++) await cache.GetOrLoadAsync("old" + i, i, static (v, _) => Task.FromResult(v), default);
        _time.Advance(AuthCache<int>.Lifetime + TimeSpan.FromSeconds(1));
        await cache.GetOrLoadAsync("fresh", 7, static (v, _) => Task.FromResult(v), default);
        Assert.Equal(1, cache.Count);

        var loads = 0;
        Assert.Equal(7, await cache.GetOrLoadAsync("fresh", 8, (v, _) => { loads++; return Task.FromResult(v); }, default));
        Assert.Equal(0, loads);
    }

    private static HttpRequest Request(string bearer)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + bearer;
        return context.Request;
    }

    public void Dispose() => _dir.Dispose();
}
