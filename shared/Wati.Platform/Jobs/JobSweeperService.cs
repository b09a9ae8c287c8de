using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Jobs;

/// <summary>Runs <see cref="JobSweeper"/> at start and then every <see cref="JobsOptions.SweepSeconds"/> in the polling host.</summary>
public sealed class JobSweeperService(JobSweeper sweeper, IOptions<JobsOptions> options, TimeProvider time,
    ILogger<JobSweeperService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), time);
        try
        {
            do
            {
                try
                {
                    var report = await sweeper.SweepAsync(stoppingToken);
                    if (report.Sent + report.Failed + report.Abandoned > 0) logger.LogInformation("Sweep: {Report}", report);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Sweep failed; trying again at the next tick");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
