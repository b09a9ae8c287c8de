using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Wati.Platform.Uploads;

/// <summary>Deletes expired uploads (<see cref="UploadsService.SweepAsync"/>) every few minutes in the polling host.</summary>
public sealed class UploadSweeperService(UploadsService uploads, TimeProvider time, ILogger<UploadSweeperService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    if (await uploads.SweepAsync(stoppingToken) is > 0 and var removed) logger.LogInformation("Deleted {Count} expired uploads", removed);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Upload sweep failed; trying again at the next tick");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
