using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Batches;

/// <summary>
/// The handler of queue <c>batches</c>: a delivery feeds and follows its batch (<see cref="BatchFeeder"/>); a dead
/// letter sends the batch's message again, since a batch holding credits is never given up (docs/decisions/0009).
/// </summary>
public sealed class BatchQueueHandler(BatchFeeder feeder) : IQueueHandler
{
    /// <inheritdoc />
    public Task<ProcessOutcome> HandleAsync(QueueMessage message, CancellationToken ct) => feeder.ProcessAsync(message, ct);

    /// <inheritdoc />
    public Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct) => feeder.HandleDeadLetterAsync(message, reason, ct);
}
