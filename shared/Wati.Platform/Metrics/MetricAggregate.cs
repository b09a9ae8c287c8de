using Wati.Platform.Data;

namespace Wati.Platform.Metrics;

/// <summary>
/// One published aggregate (a row of <c>metrics</c>): the calls or jobs of one bucket with one
/// <paramref name="Kind"/> (<c>route</c> or <c>model</c>) and <paramref name="Name"/>. <paramref name="Errors"/>
/// counts calls answered 400 or more and jobs that failed; p50/p95 are nearest-rank percentiles of the
/// durations in milliseconds; <paramref name="Credits"/> is the sum of net credits charged.
/// </summary>
public sealed record MetricAggregate(
    DateTimeOffset BucketStart, int BucketSeconds, string Kind, string Name, int Count, int Errors, long P50Ms, long P95Ms, long Credits)
{
    /// <summary>Every bucket of a UTC day shares a partition, so a time range is a row-key range of a few partitions.</summary>
    public static string Partition(DateTimeOffset bucketStart) => UsageBuckets.Key(bucketStart)[..8];

    public TableEntity ToEntity()
    {
        var bucket = UsageBuckets.Key(BucketStart);
        return new TableEntity(Partition(BucketStart), $"{bucket}|{Kind}|{Name}")
            .With("bucket", bucket).With("bucket_seconds", (long)BucketSeconds).With("kind", Kind).With("name", Name)
            .With("count", (long)Count).With("errors", (long)Errors).With("p50_ms", P50Ms).With("p95_ms", P95Ms)
            .With("credits", Credits);
    }

    /// <summary>Null for rows that are not aggregates (a bucket's done mark).</summary>
    public static MetricAggregate? FromEntity(TableEntity e) =>
        e.GetString("kind") is { } kind && e.GetString("bucket") is { } bucket && UsageBuckets.TryParse(bucket, out var start)
            ? new MetricAggregate(start, (int)(e.GetInt64("bucket_seconds") ?? 0), kind, e.GetString("name") ?? "",
                (int)(e.GetInt64("count") ?? 0), (int)(e.GetInt64("errors") ?? 0), e.GetInt64("p50_ms") ?? 0,
                e.GetInt64("p95_ms") ?? 0, e.GetInt64("credits") ?? 0)
            : null;

    /// <summary>
    /// The aggregates of one bucket's usage rows read as tallies (<see cref="UsageRows.FromRow"/>: tally rows
    /// and job rows), one per (kind, name), ordered by kind then name (ordinal). A pure function of the set of
    /// rows, so every publisher that reads the same bucket computes the same rows; the same calls give the same
    /// aggregates however they were split into tallies (counts and credits add up, histograms merge exactly).
    /// </summary>
    public static IReadOnlyList<MetricAggregate> Of(DateTimeOffset bucketStart, int bucketSeconds, IEnumerable<UsageTally> rows) =>
        UsageTally.MergeByName(rows).Select(t => From(bucketStart, bucketSeconds, t)).ToList();

    /// <summary>The aggregate of one merged tally (<see cref="UsageTally.MergeByName"/>).</summary>
    public static MetricAggregate From(DateTimeOffset bucketStart, int bucketSeconds, UsageTally merged) =>
        new(bucketStart, bucketSeconds, merged.Kind, merged.Name, (int)Math.Min(merged.Count, int.MaxValue),
            (int)Math.Min(merged.Errors, int.MaxValue), merged.Percentile(50), merged.Percentile(95), merged.Credits);

    /// <summary>The nearest-rank percentile of sorted values: the value at rank ⌈p/100 · n⌉.</summary>
    public static long NearestRank(IReadOnlyList<long> sorted, int percentile) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count), 1, sorted.Count) - 1];
}
