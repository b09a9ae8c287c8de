using System.Collections.Concurrent;

namespace Wati.Platform.Jobs;

/// <summary>
/// Wakes waiting requests in this process when a job changes. Waiters also re-read the record on a
/// short interval, so a job finished by another process is seen too; this only makes it prompt.
/// </summary>
public sealed class JobNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public Task WhenChangedAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        var signal = _waiters.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return signal.Task.WaitAsync(timeout, ct).ContinueWith(_ => { }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Notify(string jobId)
    {
        if (_waiters.TryRemove(jobId, out var signal)) signal.TrySetResult();
    }
}
