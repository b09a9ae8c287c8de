using System.Runtime.InteropServices;

namespace Wati.Platform.Metrics;

/// <summary>
/// Calls or jobs of one <see cref="Kind"/> (<c>route</c> or <c>model</c>) and <see cref="Name"/> summed up:
/// how many (<see cref="Count"/>), how many were errors (answers of 400 or more, failed jobs), the net credits
/// charged, and a histogram of their durations in whole milliseconds (duration → how many). What a usage row
/// holds (docs/decisions/0008-metrics-exactly-once.md, revision of 2026-11-29); merging tallies and taking
/// nearest-rank percentiles of the merged histogram gives exactly what the raw durations would.
/// Not thread-safe: the recorder locks around <see cref="Add"/>.
/// </summary>
public sealed class UsageTally(string kind, string name)
{
    public string Kind { get; } = kind;
    public string Name { get; } = name;
    public long Count { get; private set; }
    public long Errors { get; private set; }
    public long Credits { get; private set; }

    /// <summary>Duration in whole milliseconds (0 or more) → number of calls or jobs that took it.</summary>
    public Dictionary<long, long> DurationsMs { get; } = [];

    /// <summary>Adds one call or job; a negative duration counts as 0 ms. No allocation once the duration is known.</summary>
    public void Add(long durationMs, bool isError, long credits)
    {
        Count++;
        if (isError) Errors++;
        Credits += credits;
        CollectionsMarshal.GetValueRefOrAddDefault(DurationsMs, Math.Max(0, durationMs), out _)++;
    }

    /// <summary>Adds <paramref name="calls"/> of one duration to the histogram alone (rows decoding their parts).</summary>
    internal void AddDurations(long durationMs, long calls) =>
        CollectionsMarshal.GetValueRefOrAddDefault(DurationsMs, durationMs, out _) += calls;

    /// <summary>Adds counters that were stored beside a histogram (a usage row's <c>count</c>, <c>errors</c>, <c>credits</c>).</summary>
    internal void AddCounters(long count, long errors, long credits)
    {
        Count += count;
        Errors += errors;
        Credits += credits;
    }

    /// <summary>Adds everything <paramref name="other"/> holds (any kind or name: the caller groups).</summary>
    public void Merge(UsageTally other)
    {
        AddCounters(other.Count, other.Errors, other.Credits);
        foreach (var (ms, calls) in other.DurationsMs) AddDurations(ms, calls);
    }

    /// <summary>
    /// The nearest-rank percentile of the durations: the value at rank ⌈p/100 · n⌉ of the n durations in
    /// ascending order (as <see cref="MetricAggregate.NearestRank"/> on the raw list); 0 when there are none.
    /// </summary>
    public long Percentile(int percentile)
    {
        long n = 0;
        foreach (var calls in DurationsMs.Values) n += calls;
        if (n == 0) return 0;
        var rank = Math.Clamp((long)Math.Ceiling(percentile / 100.0 * n), 1, n);
        long seen = 0;
        foreach (var ms in DurationsMs.Keys.Order())
        {
            seen += DurationsMs[ms];
            if (seen >= rank) return ms;
        }
        return 0; // unreachable: seen reaches n
    }

    /// <summary>One finished job (or a call stored as an event row before tallies) as a tally of one.</summary>
    public static UsageTally Of(UsageEvent e)
    {
        var t = new UsageTally(e.Kind, e.Name);
        t.Add(e.DurationMs, e.IsError, e.Credits);
        return t;
    }

    /// <summary>The tallies merged per (kind, name), ordered by kind then name (ordinal). Inputs are not changed.</summary>
    public static IReadOnlyList<UsageTally> MergeByName(IEnumerable<UsageTally> tallies)
    {
        var merged = new Dictionary<(string Kind, string Name), UsageTally>();
        foreach (var t in tallies)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(merged, (t.Kind, t.Name), out _);
            slot ??= new UsageTally(t.Kind, t.Name);
            slot.Merge(t);
        }
        return merged.Values.OrderBy(t => t.Kind, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
    }
}
