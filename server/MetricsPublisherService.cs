using Microsoft.Extensions.Options;
using Wati.Platform.Metrics;

namespace Wati.Server;

/// <summary>
/// Runs <see cref="MetricsPublisher.PublishAsync"/> every <c>Wati:Metrics:FlushSeconds</c> in this process
/// (in Azure a TimerTrigger does). A failed run is logged; the next one finishes what it left.
/// </summary>
public sealed class MetricsPublisherService(MetricsPublisher publisher, IOptions<MetricsOptions> options, TimeProvider time,
    ILogger<MetricsPublisherService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.FlushSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var report = await publisher.PublishAsync(stoppingToken);
                if (report.Published > 0) logger.LogInformation("Metrics: {Published} bucket(s) published", report.Published);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Metrics publishing failed; the next run retries");
            }
        }
    }
}
