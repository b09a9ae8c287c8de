using Microsoft.Extensions.Logging;

namespace Wati.Platform.Jobs;

/// <summary>
/// A heartbeat: calls <c>renew</c> every <c>interval</c> (a fraction of the lease it keeps) until
/// stopped. When <c>renew</c> answers false the lease is lost: <see cref="Lost"/> is canceled and the
/// heartbeat ends. A renewal that throws is logged and tried again at the next beat, so one store
/// hiccup does not give a healthy job away; the lease itself still runs out if every beat fails.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _loop;

    private LeaseKeeper(TimeSpan interval, Func<CancellationToken, Task<bool>> renew, TimeProvider time, ILogger logger, string what)
    {
        _loop = RunAsync(interval, renew, time, logger, what);
    }

    /// <summary>Canceled once a renewal answered that the lease is no longer ours; valid after disposal too.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>True once a renewal answered that the lease is no longer ours.</summary>
    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Starts beating every <paramref name="interval"/> (positive).</summary>
    public static LeaseKeeper Start(TimeSpan interval, Func<CancellationToken, Task<bool>> renew, TimeProvider time, ILogger logger,
        string what)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new LeaseKeeper(interval, renew, time, logger, what);
    }

    /// <summary>Stops the heartbeat and waits for a renewal in flight to end. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        // The sources own no timers, so they need no disposing; Lost stays readable.
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
    }

    private async Task RunAsync(TimeSpan interval, Func<CancellationToken, Task<bool>> renew, TimeProvider time, ILogger logger, string what)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, _stop.Token);
                bool held;
                try
                {
                    held = await renew(_stop.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not renew the {What} lease; trying again at the next beat", what);
                    continue;
                }
                if (held) continue;
                logger.LogWarning("The {What} lease was lost", what);
                await _lost.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped.
        }
    }
}
