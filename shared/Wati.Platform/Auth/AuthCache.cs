using System.Collections.Concurrent;

namespace Wati.Platform.Auth;

/// <summary>
/// A few seconds' memory of what authentication read from the store (API-key lookups, callers' roles),
/// so a busy key costs no table read per request. Bounded: when it holds <see cref="MaxEntries"/> it is
/// emptied (a cheap, safe answer to a flood of distinct keys). <see cref="Forget"/> drops an entry at
/// once (revocation in this process); other processes see a change once their entry expires
/// (<see cref="Lifetime"/>). Source of the rule: issue 13 (docs/decisions/0010).
/// </summary>
public sealed class AuthCache<TValue>(TimeProvider time)
{
    /// <summary>How long an entry is trusted: the most another process lags behind a revocation.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Entries held before the cache starts over.</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, (TValue Value, long Until)> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The value remembered for <paramref name="key"/>, or else the one <paramref name="load"/> reads from
    /// <paramref name="state"/> (then remembered). A hit completes synchronously and allocates nothing, as long as
    /// <paramref name="load"/> captures nothing (pass what it needs as <paramref name="state"/>).
    /// </summary>
    public async ValueTask<TValue> GetOrLoadAsync<TState>(string key, TState state, Func<TState, CancellationToken, Task<TValue>> load, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(key, out var hit) && now < hit.Until) return hit.Value;
        var value = await load(state, ct);
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[key] = (value, now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
        return value;
    }

    /// <summary>Forgets <paramref name="key"/> at once (a revoked key, a changed user).</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);
}
