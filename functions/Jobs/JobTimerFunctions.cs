using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs;
using Wati.Platform.Metrics;

namespace Wati.Functions.Jobs;

/// <summary>
/// Timer functions. The host runs each schedule on one instance at a time (a blob lease in
/// <c>AzureWebJobsStorage</c>), and the sweeper is safe to run concurrently anyway (ETag-guarded).
/// </summary>
public sealed class JobTimerFunctions(JobSweeper sweeper, MetricsPublisher metrics, ILogger<JobTimerFunctions> logger)
{
    /// <summary>Every 30 seconds (six-field NCRONTAB, seconds first).</summary>
    public const string SweepSchedule = "*/30 * * * * *";

    /// <summary>Re-sends or fails and refunds jobs that lost their message or worker (docs/decisions/0005).</summary>
    [Function(nameof(SweepLostJobs))]
    public async Task SweepLostJobs([TimerTrigger(SweepSchedule)] TimerInfo timer, FunctionContext context)
    {
        var report = await sweeper.SweepAsync(context.CancellationToken);
        if (report.Sent + report.Failed + report.Abandoned > 0)
            logger.LogInformation("Sweep: {Checked} checked, {Sent} sent again, {Failed} failed, {Abandoned} abandoned",
                report.Checked, report.Sent, report.Failed, report.Abandoned);
    }

    /// <summary>Every minute, at second 0.</summary>
    public const string MetricsSchedule = "0 * * * * *";

    /// <summary>Aggregates the closed usage buckets into <c>metrics</c> rows, each exactly once (docs/decisions/0008).</summary>
    [Function(nameof(PublishMetrics))]
    public async Task PublishMetrics([TimerTrigger(MetricsSchedule)] TimerInfo timer, FunctionContext context)
    {
        var report = await metrics.PublishAsync(context.CancellationToken);
        logger.LogDebug("Metrics: {Report}", report);
    }
}
