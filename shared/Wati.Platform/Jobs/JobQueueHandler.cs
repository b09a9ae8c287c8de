using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Jobs;

/// <summary>
/// The handler of every model queue (<c>jobs-{model}</c>): a delivery runs its job (<see cref="JobProcessor"/>,
/// the transport keeping the message hidden, so no <see cref="MessageLease"/> is passed), and a dead letter
/// fails and refunds its job exactly once.
/// </summary>
public sealed class JobQueueHandler(JobProcessor processor) : IQueueHandler
{
    /// <inheritdoc />
    public Task<ProcessOutcome> HandleAsync(QueueMessage message, CancellationToken ct) => processor.ProcessAsync(message, null, ct);

    /// <inheritdoc />
    public Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct) =>
        processor.HandleDeadLetterAsync(message, reason, ct);
}
