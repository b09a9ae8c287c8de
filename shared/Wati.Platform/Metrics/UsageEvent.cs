using System.Globalization;
using Wati.Platform.Data;

namespace Wati.Platform.Metrics;

/// <summary>What a usage event is about: an HTTP call (<c>route</c>) or a finished job (<c>model</c>).</summary>
public static class UsageKinds
{
    public const string Route = "route";
    public const string Model = "model";

    /// <summary>The route name recorded for a path no route has, or a method the route lacks.</summary>
    public const string Unmatched = "unmatched";

    public static readonly IReadOnlyList<string> All = [Route, Model];
}

/// <summary>
/// One usage event, a row of <c>usage</c>: PK = its bucket (<see cref="UsageBuckets"/>), RK = <paramref name="Id"/>.
/// Written for each finished job (RK <c>job_{id}</c>); HTTP calls are written as tallies instead
/// (<see cref="UsageRows"/>), and call rows of this shape left from before are still read.
/// <paramref name="Name"/> is the route name (or <c>unmatched</c>) or the model;
/// <paramref name="Status"/> is the HTTP status, or for a job the error status of a failure (0 otherwise);
/// <paramref name="Outcome"/> is a job's final state or, for a call, empty. <paramref name="DurationMs"/> in
/// milliseconds; <paramref name="Credits"/> net credits charged; <paramref name="At"/> when it ended.
/// </summary>
public sealed record UsageEvent(
    string Id, string Kind, string Name, string? Method, int Status, string Outcome, bool IsError,
    long DurationMs, long Credits, string? UserId, DateTimeOffset At)
{
    public TableEntity ToEntity(string bucket) => new TableEntity(bucket, Id)
        .With("kind", Kind).With("name", Name).With("method", Method).With("status", (long)Status)
        .With("outcome", Outcome).With("error", IsError).With("duration_ms", DurationMs)
        .With("credits", Credits).With("user_id", UserId).With("at", At);

    public static UsageEvent FromEntity(TableEntity e) => new(
        e.RowKey, e.GetString("kind") ?? "", e.GetString("name") ?? "", e.GetString("method"),
        (int)(e.GetInt64("status") ?? 0), e.GetString("outcome") ?? "", e.GetBool("error") ?? false,
        e.GetInt64("duration_ms") ?? 0, e.GetInt64("credits") ?? 0, e.GetString("user_id"),
        e.GetTime("at") ?? DateTimeOffset.UnixEpoch);
}

/// <summary>
/// Buckets: fixed windows of <see cref="MetricsOptions.BucketSeconds"/> aligned to the Unix epoch, keyed by
/// their start as <c>yyyyMMddTHHmmssZ</c> (sorts in time order, valid as a partition or row key).
/// </summary>
public static class UsageBuckets
{
    private const string Format = "yyyyMMdd'T'HHmmss'Z'";

    public static DateTimeOffset StartOf(DateTimeOffset at, int bucketSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(StartSeconds(at, bucketSeconds));

    /// <summary>The start of the bucket holding <paramref name="at"/>, in Unix seconds.</summary>
    public static long StartSeconds(DateTimeOffset at, int bucketSeconds)
    {
        var seconds = at.ToUnixTimeSeconds();
        return seconds - (((seconds % bucketSeconds) + bucketSeconds) % bucketSeconds);
    }

    public static string Key(DateTimeOffset start) => start.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string key) =>
        DateTimeOffset.ParseExact(key, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static bool TryParse(string key, out DateTimeOffset start) =>
        DateTimeOffset.TryParseExact(key, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out start);
}
