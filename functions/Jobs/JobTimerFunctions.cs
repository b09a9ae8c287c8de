using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Common;

namespace Wati.Functions.Jobs;

/// <summary>
/// Timer functions calling the periodic tasks the polling host's runner calls. The host runs each schedule on
/// one instance at a time (a blob lease in <c>AzureWebJobsStorage</c>), and the sweeper is safe to run
/// concurrently anyway (ETag-guarded). A failed run throws, so the host logs it; the next run tries again.
/// </summary>
public sealed class JobTimerFunctions(PlatformTasks tasks)
{
    /// <summary>Every 30 seconds (six-field NCRONTAB, seconds first).</summary>
    public const string SweepSchedule = "*/30 * * * * *";

    /// <summary>Re-sends or fails and refunds jobs that lost their message or worker (<see cref="PlatformTasks.JobSweep"/>).</summary>
    [Function(nameof(SweepLostJobs))]
    public Task SweepLostJobs([TimerTrigger(SweepSchedule)] TimerInfo timer, FunctionContext context) => tasks.JobSweep.RunAsync(context.CancellationToken);

    /// <summary>Every minute, at second 0.</summary>
    public const string MetricsSchedule = "0 * * * * *";

    /// <summary>Publishes the closed usage buckets, each exactly once (<see cref="PlatformTasks.MetricsFlush"/>).</summary>
    [Function(nameof(PublishMetrics))]
    public Task PublishMetrics([TimerTrigger(MetricsSchedule)] TimerInfo timer, FunctionContext context) => tasks.MetricsFlush.RunAsync(context.CancellationToken);
}
