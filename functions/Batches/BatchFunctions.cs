using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Wati.Functions.Jobs;
using Wati.Platform.Batches;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Uploads;
using Wati.Platform.Webhooks;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Batches;

/// <summary>
/// The batch feeder and the webhook sender as queue functions (issue 12), and their sweeps on timers, as
/// <c>server/</c> runs them in polling loops. Exceptions propagate: the host redelivers and poisons.
/// </summary>
public sealed class BatchFunctions(JobDelivery delivery, BatchFeeder feeder, WebhookSender webhooks, BatchesService batches,
    UploadsService uploads, StorageJobQueue queue, ILogger<BatchFunctions> logger)
{
    /// <summary>Every minute, at second 15.</summary>
    public const string BatchSweepSchedule = "15 * * * * *";

    /// <summary>Every five minutes, at second 45.</summary>
    public const string UploadSweepSchedule = "45 */5 * * * *";

    [Function(nameof(Batches))]
    public Task Batches([QueueTrigger(QueueNames.Batches, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.Batches, body, TriggerData.DequeueCount(context), feeder.ProcessAsync, context.CancellationToken);

    /// <summary>
    /// A batch message the host gave up on: the feeder's hook sends it again (a batch holding credits is never
    /// given up); what it cannot settle is held for the admin, never thrown back (<see cref="PoisonHandling"/>).
    /// </summary>
    [Function(nameof(BatchesPoison))]
    public Task BatchesPoison([QueueTrigger(QueueNames.Batches + QueueNames.Poison, Connection = QueueConnection)] string body,
        FunctionContext context) =>
        PoisonHandling.SettleAsync(QueueNames.Batches, body,
            (message, token) => feeder.HandleDeadLetterAsync(message, "moved to batches-poison by the Functions host", token),
            queue, logger, context.CancellationToken);

    [Function(nameof(Webhooks))]
    public Task Webhooks([QueueTrigger(QueueNames.Webhooks, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.Webhooks, body, TriggerData.DequeueCount(context), webhooks.ProcessAsync, context.CancellationToken);

    /// <summary>Batches whose message may be lost (a submit stopped after its reservation) get one again.</summary>
    [Function(nameof(SweepBatches))]
    public async Task SweepBatches([TimerTrigger(BatchSweepSchedule)] TimerInfo timer, FunctionContext context)
    {
        if (await batches.SweepAsync(TimeSpan.FromMinutes(1), context.CancellationToken) is > 0 and var resent)
            logger.LogInformation("Batch sweep: {Count} batches sent again", resent);
    }

    /// <summary>Deletes expired uploads.</summary>
    [Function(nameof(SweepUploads))]
    public async Task SweepUploads([TimerTrigger(UploadSweepSchedule)] TimerInfo timer, FunctionContext context)
    {
        if (await uploads.SweepAsync(context.CancellationToken) is > 0 and var removed)
            logger.LogInformation("Deleted {Count} expired uploads", removed);
    }
}
