using System.Collections.Concurrent;

namespace Wati.Platform.Auth;

/// <summary>
/// A few seconds' memory of what authentication read from the store (API-key lookups, callers' roles)
/// or computed (token validations), so a busy caller costs no table read or HMAC per request.
/// Bounded in time and size (issue 24 finding 2: a flood of bogus tokens grew the process by 770 MB):
/// keys are short and fixed-size (a SHA-256 in hex, or a user id; never a caller's raw credential), an
/// entry lives <see cref="Lifetime"/>, and when the cache holds <see cref="MaxEntries"/> the expired
/// entries are swept, and if that frees nothing it starts over. Whether a failure is remembered is the
/// caller's choice (<c>remember</c>). <see cref="Forget"/> drops an entry at once (revocation in this
/// process); other processes see a change once their entry expires. Source: docs/decisions/0010.
/// </summary>
public sealed class AuthCache<TValue>(TimeProvider time)
{
    /// <summary>How long an entry is trusted: the most another process lags behind a revocation.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Entries held before expired ones are swept (and, if none were, the cache starts over).</summary>
    public const int MaxEntries = 100_000;

    /// <summary>The longest key accepted; a longer one is answered by its loader and not remembered.</summary>
    public const int MaxKeyLength = 128;

    private readonly ConcurrentDictionary<string, (TValue Value, long Until)> _entries = new(StringComparer.Ordinal);
    private int _sweeping;

    /// <summary>Entries held now (expired ones included until the next sweep).</summary>
    public int Count => _entries.Count;

    /// <summary>Characters held in keys now: at most <see cref="Count"/> times <see cref="MaxKeyLength"/>.</summary>
    public long KeyChars => _entries.Keys.Sum(k => (long)k.Length);

    /// <summary>
    /// The value remembered for <paramref name="key"/>, or else the one <paramref name="load"/> reads from
    /// <paramref name="state"/>, remembered when <paramref name="remember"/> says so (null: always). A hit
    /// completes synchronously and allocates nothing, as long as <paramref name="load"/> captures nothing
    /// (pass what it needs as <paramref name="state"/>).
    /// </summary>
    public async ValueTask<TValue> GetOrLoadAsync<TState>(string key, TState state, Func<TState, CancellationToken, Task<TValue>> load,
        CancellationToken ct, Func<TValue, bool>? remember = null)
    {
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(key, out var hit) && now < hit.Until) return hit.Value;
        var value = await load(state, ct);
        if (key.Length > MaxKeyLength || (remember is not null && !remember(value))) return value;
        if (_entries.Count >= MaxEntries) Sweep(now);
        _entries[key] = (value, now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
        return value;
    }

    /// <summary>Forgets <paramref name="key"/> at once (a revoked key, a changed user).</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);

    // One thread sweeps; the others add meanwhile (the bound is approximate by the number of concurrent callers).
    private void Sweep(long now)
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1) return;
        try
        {
            var removed = 0;
            foreach (var (key, entry) in _entries)
            {
                if (entry.Until <= now && _entries.TryRemove(key, out _)) removed++;
            }
            // Little expired: a flood of live entries; start over rather than sweep again on every insert.
            if (removed < MaxEntries / 4) _entries.Clear();
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
