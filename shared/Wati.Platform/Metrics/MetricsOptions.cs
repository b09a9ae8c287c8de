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
    /// Seconds after a bucket's end before it counts as closed: the time events may still sit in a
    /// process's buffer. An event written after its bucket was published is not in its aggregates (logged).
    /// </summary>
    [Range(0, 600)] public int SettleSeconds { get; set; } = 10;

    /// <summary>Usage events buffered in memory per process; more are dropped (and counted) rather than wait.</summary>
    [Range(1, 1_000_000)] public int BufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// An OTLP/HTTP (protobuf) collector base address, e.g. <c>http://localhost:4318</c>: published buckets are
    /// also pushed there as OpenTelemetry metrics (to <c>{base}/v1/metrics</c>). Unset: the table only.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) &&
            (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            yield return $"{Section}:OtlpEndpoint must be an absolute http(s) URL (was '{OtlpEndpoint}')";
    }
}
