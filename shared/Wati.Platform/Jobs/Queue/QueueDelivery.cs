using Microsoft.Extensions.Logging;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The one entry point of hosts whose queue trigger receives the message and owns redelivery (Azure
/// Functions): a queue function hands it the message body as the trigger bound it, and returns or throws as
/// this does; the queue's <see cref="IQueueHandler"/> (the same one <see cref="QueuePump"/> calls) decides.
/// The host deletes a message whose function returned, and redelivers one whose function threw until
/// <c>maxDequeueCount</c> (host.json, = <see cref="QueueOptions.MaxDeliveries"/>), then moves it to
/// <c>{queue}-poison</c>, whose function calls <see cref="DeadLetterAsync"/>.
/// </summary>
public sealed class QueueDelivery(QueueHandlers handlers, IJobQueueProducer producer, ILogger<QueueDelivery> logger)
{
    /// <summary>
    /// Processes one delivery. A retry the handler asks for (a transient failure with attempts left, a batch
    /// not finished yet) is a fresh message sent after its delay with <see cref="QueueMessage.Attempt"/> + 1, so
    /// waiting does not spend the host's dequeue count; this delivery then completes normally.
    /// </summary>
    /// <param name="queue">The queue the message came from.</param>
    /// <param name="body">The message text (the design's JSON, already base64-decoded by the trigger).</param>
    /// <param name="dequeueCount">Deliveries so far, from 1 (the trigger's <c>DequeueCount</c>); only logged.</param>
    /// <exception cref="InvalidQueueMessageException">The body is not a queue message: thrown so the host retries and then poisons it, as the polling adapter does at once.</exception>
    /// <exception cref="OperationCanceledException">The host is stopping: the message is delivered again.</exception>
    public async Task DeliverAsync(string queue, string body, long dequeueCount, CancellationToken ct)
    {
        var message = Parse(queue, body);
        if (dequeueCount > 1)
            logger.LogInformation("Message for {Id} delivered again ({DequeueCount}) on {Queue}", message.Id, dequeueCount, queue);

        var outcome = await handlers.For(queue).HandleAsync(message, ct);
        if (outcome.RetryAfter is { } delay)
            await producer.EnqueueAsync(queue, message with { Attempt = message.Attempt + 1 }, delay, ct);
    }

    /// <summary>The message in <paramref name="body"/>.</summary>
    /// <exception cref="InvalidQueueMessageException">The body is not the design's message.</exception>
    public static QueueMessage Parse(string queue, string body) => StorageJobQueue.TryParse(body) ?? throw new InvalidQueueMessageException(queue);

    /// <summary>
    /// Handles one message <paramref name="message"/> of <c>{queue}-poison</c> with the dead-letter hook of
    /// <paramref name="queue"/>'s handler (idempotent: a repeated poison delivery changes nothing).
    /// </summary>
    public Task DeadLetterAsync(string queue, QueueMessage message, CancellationToken ct) =>
        handlers.For(queue).HandleDeadLetterAsync(message, $"moved to {queue}{StorageJobQueue.PoisonSuffix} by the Functions host", ct);
}

/// <summary>A queue message that is not the design's <c>{"job_id","model","attempt"}</c>.</summary>
public sealed class InvalidQueueMessageException(string queue)
    : Exception($"a message on {queue} is not a queue message; the host moves it to {queue}{StorageJobQueue.PoisonSuffix}");
