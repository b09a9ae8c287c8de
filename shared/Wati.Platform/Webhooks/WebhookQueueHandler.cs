using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Webhooks;

/// <summary>
/// The handler of queue <c>webhooks</c>: a delivery makes one attempt of its event (<see cref="WebhookSender"/>);
/// a dead letter gives the event up: it is marked failed and the give-up is logged with its attempts
/// (<c>GET /v1/batches/{id}/deliveries</c>), so a receiver's owner sees why no more deliveries come.
/// </summary>
public sealed class WebhookQueueHandler(WebhookSender sender) : IQueueHandler
{
    /// <inheritdoc />
    public Task<ProcessOutcome> HandleAsync(QueueMessage message, CancellationToken ct) => sender.ProcessAsync(message, ct);

    /// <inheritdoc />
    public Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct) => sender.GiveUpAsync(message, reason, ct);
}
