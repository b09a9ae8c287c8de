using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Wati.Platform.Common;

/// <summary>
/// One piece of periodic work (a sweep, a flush): what it is called, how often it runs, and one run. The polling
/// host's <see cref="PeriodicRunner"/> runs them all (<see cref="PlatformTasks.All"/>); the Functions host calls the same task from a
/// timer function instead (docs/decisions/0007).
/// </summary>
public interface IPeriodicTask
{
    /// <summary>A short name for logs (<c>job-sweep</c>).</summary>
    string Name { get; }

    /// <summary>Time between the start of one run and the next in the polling host.</summary>
    TimeSpan Interval { get; }

    /// <summary>One run; it logs what it did itself. An exception is logged by the caller, and the next run tries again.</summary>
    Task RunAsync(CancellationToken ct);
}

/// <summary>
/// The polling host's one loop for periodic work: each registered <see cref="IPeriodicTask"/> runs at start and then
/// every <see cref="IPeriodicTask.Interval"/> on a <see cref="TimeProvider"/> timer, one run at a time per task. A
/// failed run is logged once, naming its task, and neither stops that task's next run nor any other task.
/// </summary>
public sealed class PeriodicRunner(IEnumerable<IPeriodicTask> tasks, TimeProvider time, ILogger<PeriodicRunner> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(tasks.Select(t => RunEveryIntervalAsync(t, stoppingToken)));

    private async Task RunEveryIntervalAsync(IPeriodicTask task, CancellationToken stop)
    {
        // Off the starting thread: a task's synchronous start never holds up the host or the other tasks.
        await Task.Yield();
        using var timer = new PeriodicTimer(task.Interval, time);
        try
        {
            do
            {
                try
                {
                    await task.RunAsync(stop);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Periodic task {Task} failed; it runs again in {Interval}", task.Name, task.Interval);
                }
            } while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
