using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Metrics;

/// <summary>The metrics pipeline's settings (<c>Wati:Metrics</c>, design section 12).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Wati:Metrics";

    /// <summary>Length of a usage bucket in seconds; buckets are aligned to the Unix epoch. Small values let tests close buckets fast.</summary>
    [Range(1, 3600)] public int BucketSeconds { get; set; } = 60;

    /// <summary>How often the server's publisher runs, in seconds (the Functions app uses its timer instead).</summary>
    [Range(1, 3600)] public int FlushSeconds { get; set; } = 60;

    /// <summary>
    /// Seconds after a bucket's end before it counts as closed: the time calls and jobs may still sit in a
    /// process's memory. A row written after its bucket was published is not in its aggregates (logged).
    /// </summary>
    [Range(0, 600)] public int SettleSeconds { get; set; } = 10;

    /// <summary>
    /// How often each process writes its call tallies to <c>usage</c>, in seconds: calls wait in memory this long
    /// (and are lost if the process dies meanwhile). At most half of <see cref="SettleSeconds"/>, so a bucket's last
    /// tallies are written, with a period to spare, before the bucket counts as closed.
    /// </summary>
    [Range(1, 300)] public int TallySeconds { get; set; } = 2;

    /// <summary>Finished jobs buffered in memory per process for the writer; more are dropped (and counted) rather than wait.</summary>
    [Range(1, 1_000_000)] public int BufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// An OTLP/HTTP (protobuf) collector base address, e.g. <c>http://localhost:4318</c>: published buckets are
    /// also pushed there as OpenTelemetry metrics (to <c>{base}/v1/metrics</c>). Unset: the table only.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    public IEnumerable<string> Problems()
    {
        if (2 * TallySeconds > SettleSeconds)
            yield return $"{Section}:TallySeconds ({TallySeconds}) must be at most half of {Section}:SettleSeconds ({SettleSeconds}): " +
                         "calls tallied near a bucket's end are written up to TallySeconds later, and a bucket must not be published before";
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) &&
            (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            yield return $"{Section}:OtlpEndpoint must be an absolute http(s) URL (was '{OtlpEndpoint}')";
    }
}
