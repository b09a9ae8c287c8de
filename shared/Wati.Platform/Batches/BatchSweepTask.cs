using Microsoft.Extensions.Logging;
using Wati.Platform.Common;

namespace Wati.Platform.Batches;

/// <summary>Batches whose message may be lost (a submit stopped after its reservation) get one again (<see cref="BatchesService.SweepAsync"/>), every minute.</summary>
public sealed class BatchSweepTask(BatchesService batches, ILogger<BatchSweepTask> logger) : IPeriodicTask
{
    /// <inheritdoc />
    public string Name => "batch-sweep";

    /// <inheritdoc />
    public TimeSpan Interval => TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken ct)
    {
        if (await batches.SweepAsync(Interval, ct) is > 0 and var resent) logger.LogInformation("Batch sweep: {Count} batches sent again", resent);
    }
}
