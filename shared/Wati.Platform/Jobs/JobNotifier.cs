namespace Wati.Platform.Jobs;

/// <summary>
/// Wakes waiting requests in this process when a job changes. Waiters also re-read the record on a
/// short interval, so a job finished by another process (another Functions instance) is seen too; this
/// only makes it prompt. An entry lives only while someone waits on its job: the last waiter to leave
/// removes it, so jobs finished elsewhere (never notified here) leave nothing behind.
/// </summary>
public sealed class JobNotifier
{
    private readonly Dictionary<string, Entry> _waiters = new(StringComparer.Ordinal);

    /// <summary>
    /// Completes when <see cref="Notify"/> is called for the job, after <paramref name="timeout"/>, or when
    /// <paramref name="ct"/> is canceled; never throws (the caller's next read observes the cancellation).
    /// </summary>
    public async Task WhenChangedAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        Entry entry;
        lock (_waiters)
        {
            if (!_waiters.TryGetValue(jobId, out entry!)) _waiters[jobId] = entry = new Entry();
            entry.Waiters++;
        }
        try
        {
            await entry.Signal.Task.WaitAsync(timeout, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            lock (_waiters)
            {
                if (--entry.Waiters == 0 && _waiters.TryGetValue(jobId, out var current) && current == entry) _waiters.Remove(jobId);
            }
        }
    }

    /// <summary>Wakes every waiter of the job.</summary>
    public void Notify(string jobId)
    {
        Entry? entry;
        lock (_waiters)
        {
            _waiters.Remove(jobId, out entry);
        }
        entry?.Signal.TrySetResult();
    }

    /// <summary>Jobs with someone waiting in this process (for tests and diagnostics).</summary>
    public int WaitingJobs
    {
        get { lock (_waiters) return _waiters.Count; }
    }

    private sealed class Entry
    {
        public readonly TaskCompletionSource Signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Waiters;
    }
}
