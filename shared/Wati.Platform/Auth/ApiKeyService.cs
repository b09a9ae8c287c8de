using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Data;

namespace Wati.Platform.Auth;

public sealed record ApiKeyInfo(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);

public sealed record NewApiKey(string Id, string Name, string Key, string Prefix, DateTimeOffset CreatedAt);

/// <summary>
/// API keys: <c>wati_</c> plus 32 random bytes, shown once and stored only as their SHA-256. The
/// <c>apikeys</c> table (keyed by hash) is what authentication reads, so revoking there takes effect at
/// once; the user's partition lists keys without secrets.
/// </summary>
public sealed class ApiKeyService(ITableStore store, IIdGenerator ids, TimeProvider time)
{
    /// <summary>A key's lookup row as authentication needs it; null values: no such key.</summary>
    private sealed record Lookup(string? UserId, string? KeyId, bool Revoked);

    private readonly AuthCache<Lookup> _lookups = new(time);

    /// <summary>The number of key lookups remembered now (keys that exist, revoked or not): for tests and diagnostics.</summary>
    public int RememberedLookups => _lookups.Count;

    // Last-use times this process wrote, per key: the store is written at most once a minute per key.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastUseWritten = new(StringComparer.Ordinal);

    public const string KeyPrefix = "wati_";
    private const string KeysTable = TableNames.ApiKeys;
    private const string UsersTable = TableNames.Users;
    private const string LookupRow = "key";
    private const string ListPrefix = "apikey|";
    private static readonly TimeSpan LastUseResolution = TimeSpan.FromMinutes(1);

    public async Task<NewApiKey> CreateAsync(string userId, string name, CancellationToken ct)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw ApiException.Validation("name must be 1 to 100 characters", new { field = "name" });

        var key = KeyPrefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var hash = HashOf(key);
        var id = ids.NewId("key");
        var now = time.GetUtcNow();
        var prefix = key[..12];

        // Listed row first: if the process dies before the lookup row, the key was never shown and never works.
        await store.InsertAsync(UsersTable, new TableEntity(userId, ListPrefix + id)
            .With("name", name).With("prefix", prefix).With("hash", hash).With("created_at", now), ct);
        await store.InsertAsync(KeysTable, new TableEntity(hash, LookupRow)
            .With("user_id", userId).With("key_id", id).With("revoked", false), ct);
        return new NewApiKey(id, name, key, prefix, now);
    }

    public async Task<Page<ApiKeyInfo>> ListAsync(string userId, PageRequest page, CancellationToken ct)
    {
        var rows = await TablePaging.ReadPageAsync(store, UsersTable, TableQuery.Prefix(userId, ListPrefix), page, null, ct);
        return new Page<ApiKeyInfo>(rows.Items.Select(ToInfo).ToList(), rows.Total, page);
    }

    /// <summary>Revokes one of the user's keys; revoking twice is fine. Another user's key is NOT_FOUND.</summary>
    public async Task<ApiKeyInfo> RevokeAsync(string userId, string keyId, CancellationToken ct)
    {
        var row = IdRules.IsPlausible(keyId) ? await store.GetAsync(UsersTable, userId, ListPrefix + keyId, ct) : null;
        if (row?.GetString("hash") is not { } hash) throw ApiException.NotFound("API key");

        if (await store.GetAsync(KeysTable, hash, LookupRow, ct) is { } lookup)
            await store.ReplaceAsync(KeysTable, lookup.Clone().With("revoked", true), "*", ct);
        _lookups.Forget(hash); // at once in this process; others within AuthCache.Lifetime
        if (row.GetTime("revoked_at") is null)
        {
            row.With("revoked_at", time.GetUtcNow());
            await store.MergeAsync(UsersTable, row, "*", ct);
        }
        return ToInfo(row);
    }

    /// <summary>
    /// The caller a key names, or null. The lookup is remembered for a few seconds (<see cref="AuthCache{TValue}"/>;
    /// a revocation here forgets it at once). Records the last use, to the minute, at most once a minute per key.
    /// </summary>
    public async ValueTask<(string UserId, string KeyId)?> ResolveAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length > 200) return null;
        var hash = HashOf(key);
        var lookup = await _lookups.GetOrLoadAsync(hash, (Store: store, Hash: hash), static async (s, token) =>
        {
            var row = await s.Store.GetAsync(KeysTable, s.Hash, LookupRow, token);
            return row is null ? new Lookup(null, null, true) : new Lookup(row.GetString("user_id"), row.GetString("key_id"), row.GetBool("revoked") == true);
        }, ct, remember: static l => l.UserId is not null); // an unknown key is not remembered: a flood of them leaves nothing (issue 24)
        if (lookup is not { Revoked: false, UserId: { } userId, KeyId: { } keyId }) return null;

        var now = time.GetUtcNow();
        if (!_lastUseWritten.TryGetValue(hash, out var last) || now - last >= LastUseResolution)
        {
            _lastUseWritten[hash] = now;
            if (_lastUseWritten.Count > AuthCache<Lookup>.MaxEntries) _lastUseWritten.Clear();
            try
            {
                await store.MergeAsync(KeysTable, new TableEntity(hash, LookupRow).With("last_used_at", now), "*", ct);
                await store.MergeAsync(UsersTable, new TableEntity(userId, ListPrefix + keyId).With("last_used_at", now), "*", ct);
            }
            catch (TableStoreException e) when (e.IsNotFound)
            {
                // Deleted meanwhile; the key is gone either way.
            }
        }
        return (userId, keyId);
    }

    /// <summary>Lowercase hex SHA-256 of the key's UTF-8 bytes (keys are at most 200 characters: checked by the caller).</summary>
    private static string HashOf(string key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], hash);
        return Convert.ToHexStringLower(hash);
    }


    private static ApiKeyInfo ToInfo(TableEntity e) => new(
        e.RowKey[ListPrefix.Length..], e.GetString("name") ?? "", e.GetString("prefix") ?? "",
        e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch, e.GetTime("last_used_at"), e.GetTime("revoked_at"));
}
