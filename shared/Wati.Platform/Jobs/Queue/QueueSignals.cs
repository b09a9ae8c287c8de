using System.Collections.Concurrent;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// In-process wake-ups for long-polling receivers, one per queue name. A waiter takes
/// <see cref="Next"/> before it looks at the database, so a pulse that lands between the look
/// and the wait is never lost.
/// </summary>
internal sealed class QueueSignals
{
    private readonly ConcurrentDictionary<string, Signal> _signals = new(StringComparer.Ordinal);

    public Task Next(string queue) => _signals.GetOrAdd(queue, static _ => new Signal()).Current;

    public void Pulse(string queue)
    {
        if (_signals.TryGetValue(queue, out var signal)) signal.Pulse();
    }

    private sealed class Signal
    {
        // Continuations run asynchronously so that an enqueuer never executes a receiver's code inline.
        private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Current => Volatile.Read(ref _current).Task;

        public void Pulse() =>
            Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult();
    }
}
