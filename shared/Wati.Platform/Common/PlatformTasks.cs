using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Batches;
using Wati.Platform.Jobs;
using Wati.Platform.Metrics;
using Wati.Platform.Uploads;

namespace Wati.Platform.Common;

/// <summary>One piece of periodic work: its name (for logs), how often the polling host runs it, and one run.</summary>
public sealed record PeriodicTask(string Name, TimeSpan Interval, Func<CancellationToken, Task> Run) : IPeriodicTask
{
    /// <inheritdoc />
    public Task RunAsync(CancellationToken ct) => Run(ct);
}

/// <summary>
/// Every periodic task of the platform, in one place (issue 18, item 5; docs/decisions/0007): the polling host's
/// <see cref="PeriodicRunner"/> runs <see cref="All"/>, and the Functions host's timer functions call the same
/// tasks (<c>functions/Jobs/JobTimerFunctions.cs</c>, <c>functions/Batches/BatchFunctions.cs</c>). Each run logs
/// what it did when it did something; a failure is the caller's to log, and the next run tries again.
/// </summary>
public sealed class PlatformTasks(JobSweeper jobs, MetricsPublisher metrics, BatchesService batches, UploadsService uploads,
    IOptions<JobsOptions> jobsOptions, IOptions<MetricsOptions> metricsOptions, ILogger<PlatformTasks> logger)
{
    /// <summary>How often a batch whose message may be lost gets one again.</summary>
    public static readonly TimeSpan BatchSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>How often expired uploads are deleted.</summary>
    public static readonly TimeSpan UploadSweepInterval = TimeSpan.FromMinutes(5);

    /// <summary>Re-sends, or fails and refunds, jobs that lost their message or worker (docs/decisions/0005), every <see cref="JobsOptions.SweepSeconds"/>.</summary>
    public PeriodicTask JobSweep => new("job-sweep", TimeSpan.FromSeconds(jobsOptions.Value.SweepSeconds), async ct =>
    {
        var r = await jobs.SweepAsync(ct);
        if (r.Sent + r.Failed + r.Abandoned > 0)
            logger.LogInformation("Job sweep: {Checked} checked, {Sent} sent again, {Failed} failed, {Abandoned} abandoned",
                r.Checked, r.Sent, r.Failed, r.Abandoned);
    });

    /// <summary>Publishes the closed usage buckets into <c>metrics</c> rows, each exactly once (docs/decisions/0008), every <see cref="MetricsOptions.FlushSeconds"/>.</summary>
    public PeriodicTask MetricsFlush => new("metrics-flush", TimeSpan.FromSeconds(metricsOptions.Value.FlushSeconds), async ct =>
    {
        if ((await metrics.PublishAsync(ct)).Published is > 0 and var published) logger.LogInformation("Metrics: {Published} bucket(s) published", published);
    });

    /// <summary>Batches whose message may be lost (a submit stopped after its reservation) get one again (docs/decisions/0009).</summary>
    public PeriodicTask BatchSweep => new("batch-sweep", BatchSweepInterval, async ct =>
    {
        if (await batches.SweepAsync(BatchSweepInterval, ct) is > 0 and var resent) logger.LogInformation("Batch sweep: {Count} batch(es) sent again", resent);
    });

    /// <summary>Deletes expired uploads.</summary>
    public PeriodicTask UploadSweep => new("upload-sweep", UploadSweepInterval, async ct =>
    {
        if (await uploads.SweepAsync(ct) is > 0 and var removed) logger.LogInformation("Upload sweep: {Count} expired upload(s) deleted", removed);
    });

    /// <summary>Every task, for the polling host's runner.</summary>
    public IReadOnlyList<PeriodicTask> All => [JobSweep, MetricsFlush, BatchSweep, UploadSweep];
}
