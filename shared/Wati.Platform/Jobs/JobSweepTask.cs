using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Jobs;

/// <summary>Re-sends or fails and refunds jobs that lost their message or worker (<see cref="JobSweeper"/>, docs/decisions/0005), every <see cref="JobsOptions.SweepSeconds"/>.</summary>
public sealed class JobSweepTask(JobSweeper sweeper, IOptions<JobsOptions> options, ILogger<JobSweepTask> logger) : IPeriodicTask
{
    /// <inheritdoc />
    public string Name => "job-sweep";

    /// <inheritdoc />
    public TimeSpan Interval => TimeSpan.FromSeconds(options.Value.SweepSeconds);

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken ct)
    {
        var report = await sweeper.SweepAsync(ct);
        if (report.Sent + report.Failed + report.Abandoned > 0)
            logger.LogInformation("Sweep: {Checked} checked, {Sent} sent again, {Failed} failed, {Abandoned} abandoned",
                report.Checked, report.Sent, report.Failed, report.Abandoned);
    }
}
