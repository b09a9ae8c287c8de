using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Jobs;

/// <summary>
/// The one entry point of hosts whose queue trigger receives the message and owns redelivery (Azure
/// Functions): a queue function hands it the message body as the trigger bound it, and returns or
/// throws as this does. The host deletes a message whose function returned, and redelivers one whose
/// function threw until <c>maxDequeueCount</c> (host.json, = <see cref="QueueOptions.MaxDeliveries"/>),
/// then moves it to <c>{queue}-poison</c>, whose function calls <see cref="DeadLetterAsync"/>.
/// </summary>
public sealed class JobDelivery(JobProcessor processor, IJobQueueProducer producer, ILogger<JobDelivery> logger)
{
    /// <summary>
    /// Processes one delivery. A retry the processor asks for (a transient failure with attempts left)
    /// is a fresh message sent after its delay with <see cref="JobMessage.Attempt"/> + 1, so waiting does
    /// not spend the host's dequeue count; this delivery then completes normally.
    /// </summary>
    /// <param name="queue">The queue the message came from (<c>jobs-{model}</c>).</param>
    /// <param name="body">The message text (the design's JSON, already base64-decoded by the trigger).</param>
    /// <param name="dequeueCount">Deliveries so far, from 1 (the trigger's <c>DequeueCount</c>); only logged.</param>
    /// <exception cref="InvalidJobMessageException">The body is not a job message: thrown so the host retries and then poisons it, as the polling adapter does at once.</exception>
    /// <exception cref="OperationCanceledException">The host is stopping: the job went back to queued and the message is delivered again.</exception>
    public Task DeliverAsync(string queue, string body, long dequeueCount, CancellationToken ct) =>
        DeliverAsync(queue, body, dequeueCount, (message, token) => processor.ProcessAsync(message, null, token), ct);

    /// <summary>
    /// The same for any consumer of this message shape (the batch feeder, the webhook sender): parse,
    /// process once, and on a retry send the message again with the delay (attempt + 1) and return.
    /// </summary>
    /// <exception cref="InvalidJobMessageException">The body is not the design's message.</exception>
    public async Task DeliverAsync(string queue, string body, long dequeueCount,
        Func<JobMessage, CancellationToken, Task<ProcessOutcome>> process, CancellationToken ct)
    {
        var message = Parse(queue, body);
        if (dequeueCount > 1)
            logger.LogInformation("Message for {Id} delivered again ({DequeueCount}) on {Queue}", message.JobId, dequeueCount, queue);

        var outcome = await process(message, ct);
        if (outcome.RetryAfter is { } delay)
            await producer.EnqueueAsync(queue, message with { Attempt = message.Attempt + 1 }, delay, ct);
    }

    /// <summary>The message in <paramref name="body"/>.</summary>
    /// <exception cref="InvalidJobMessageException">The body is not the design's message.</exception>
    public static JobMessage Parse(string queue, string body) => StorageJobQueue.TryParse(body) ?? throw new InvalidJobMessageException(queue);

    /// <summary>
    /// Handles one message of <c>{queue}-poison</c>: its job is failed and refunded exactly once (the job
    /// record decides, so a repeated poison delivery changes nothing). An unreadable body is logged and
    /// dropped: there is no job to refund.
    /// </summary>
    public async Task DeadLetterAsync(string poisonQueue, string body, CancellationToken ct)
    {
        if (StorageJobQueue.TryParse(body) is not { } message)
        {
            logger.LogError("Dropped an unreadable message from {Queue}", poisonQueue);
            return;
        }
        await processor.HandleDeadLetterAsync(message, $"moved to {poisonQueue} by the Functions host", ct);
    }
}

/// <summary>A queue message that is not the design's <c>{"job_id","model","attempt"}</c>.</summary>
public sealed class InvalidJobMessageException(string queue)
    : Exception($"a message on {queue} is not a job message; the host moves it to {queue}{StorageJobQueue.PoisonSuffix}");
