using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Metrics;

/// <summary>
/// Publishes the closed usage buckets into <c>metrics</c> rows, each exactly once (<see cref="MetricsPublisher"/>,
/// docs/decisions/0008), every <see cref="MetricsOptions.FlushSeconds"/>; a failed run is finished by the next.
/// </summary>
public sealed class MetricsFlushTask(MetricsPublisher publisher, IOptions<MetricsOptions> options, ILogger<MetricsFlushTask> logger) : IPeriodicTask
{
    /// <inheritdoc />
    public string Name => "metrics-flush";

    /// <inheritdoc />
    public TimeSpan Interval => TimeSpan.FromSeconds(options.Value.FlushSeconds);

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken ct)
    {
        var report = await publisher.PublishAsync(ct);
        if (report.Published > 0) logger.LogInformation("Metrics: {Published} bucket(s) published", report.Published);
    }
}
