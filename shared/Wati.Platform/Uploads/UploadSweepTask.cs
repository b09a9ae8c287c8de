using Microsoft.Extensions.Logging;
using Wati.Platform.Common;

namespace Wati.Platform.Uploads;

/// <summary>Deletes expired uploads (<see cref="UploadsService.SweepAsync"/>) every five minutes.</summary>
public sealed class UploadSweepTask(UploadsService uploads, ILogger<UploadSweepTask> logger) : IPeriodicTask
{
    /// <inheritdoc />
    public string Name => "upload-sweep";

    /// <inheritdoc />
    public TimeSpan Interval => TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken ct)
    {
        if (await uploads.SweepAsync(ct) is > 0 and var removed) logger.LogInformation("Deleted {Count} expired uploads", removed);
    }
}
