using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs.Queue;

namespace Wati.Functions.Jobs;

/// <summary>
/// What every poison-queue function does with its message. A <c>-poison</c> queue has no poison queue of
/// its own (the Functions host gives a queue whose name already ends in <c>-poison</c> none), so a poison
/// function that throws gets its message back after the visibility timeout, again and again, and it is
/// never settled nor seen. So a poison function never throws for a message: one that is not a job
/// message, or whose dead-letter hook fails, is logged and copied to <see cref="StorageJobQueue.HeldQueue"/>
/// (no trigger listens there), where <c>GET /v1/admin/jobs/dead-letters</c> lists it until an admin deletes
/// it; then the function returns and the host deletes the poison copy. Money is safe meanwhile: a job
/// whose message is gone is failed and refunded by the job sweeper, a batch gets a new message from the
/// batch sweep. Only a failure to hold it (the storage account itself down) or the host stopping propagates,
/// and then the message is delivered again, as nothing was lost.
/// </summary>
public static class PoisonHandling
{
    /// <summary>Reason held with a message whose dead-letter hook threw.</summary>
    public const string HookFailed = "DeadLetterHookFailed";

    /// <summary>Settles the poison message <paramref name="body"/> of <paramref name="queue"/> with <paramref name="settle"/>, or holds it.</summary>
    public static async Task SettleAsync(string queue, string body, Func<QueueMessage, CancellationToken, Task> settle, StorageJobQueue held,
        ILogger logger, CancellationToken ct)
    {
        if (StorageJobQueue.TryParse(body) is not { } message)
        {
            logger.LogError("A message in {Queue}{Suffix} is not a job message ({Length} characters); held for an admin in {Held}",
                queue, StorageJobQueue.PoisonSuffix, body.Length, StorageJobQueue.HeldQueue);
            await held.HoldAsync(queue, body, StorageJobQueue.NotAJobMessage, ct);
            return;
        }
        try
        {
            await settle(message, ct);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            logger.LogError(e, "The dead letter of {Id} in {Queue}{Suffix} could not be settled; held for an admin in {Held}",
                message.Id, queue, StorageJobQueue.PoisonSuffix, StorageJobQueue.HeldQueue);
            await held.HoldAsync(queue, body, HookFailed, ct);
        }
    }
}
