using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs;

namespace Wati.Functions.Jobs;

/// <summary>
/// Timer functions. The host runs each schedule on one instance at a time (a blob lease in
/// <c>AzureWebJobsStorage</c>), and the sweeper is safe to run concurrently anyway (ETag-guarded).
/// </summary>
public sealed class JobTimerFunctions(JobSweeper sweeper, ILogger<JobTimerFunctions> logger)
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

    // PublishMetrics (issue 11 item 4): the lead wires the shared MetricsPublisher.PublishAsync(ct) here at
    // merge, as a TimerTrigger every minute ("0 * * * * *"), and adds its name to the metadata test's timers.
}
