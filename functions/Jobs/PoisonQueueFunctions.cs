using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs.Queue;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Jobs;

/// <summary>
/// One function per poison queue: the host put a message there after <c>maxDequeueCount</c> failed deliveries,
/// and the dead-letter hook of its queue's handler settles it (<see cref="QueueDelivery.DeadLetterAsync"/>, the
/// hook the polling host's pump calls): a job is failed and refunded exactly once, a batch gets its message
/// again, a webhook event is given up and logged so. What cannot be settled is held for the admin
/// (<see cref="PoisonHandling"/>), never thrown back.
/// </summary>
public sealed class PoisonQueueFunctions(QueueDelivery delivery, StorageJobQueue queue, ILogger<PoisonQueueFunctions> logger)
{
    private const string GfpganPoison = QueueNames.Gfpgan + QueueNames.Poison;
    private const string ReplaceStylePoison = QueueNames.ReplaceStyle + QueueNames.Poison;
    private const string ReplaceBackgroundPoison = QueueNames.ReplaceBackground + QueueNames.Poison;
    private const string IcLightPoison = QueueNames.IcLight + QueueNames.Poison;
    private const string DeclaredModelsPoison = QueueNames.DeclaredModels + QueueNames.Poison;
    private const string PortraitVideoPoison = QueueNames.PortraitVideo + QueueNames.Poison;
    private const string BatchesPoisonQueue = QueueNames.Batches + QueueNames.Poison;
    private const string WebhooksPoisonQueue = QueueNames.Webhooks + QueueNames.Poison;

    [Function(nameof(JobsGfpganPoison))]
    public Task JobsGfpganPoison([QueueTrigger(GfpganPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.Gfpgan, body, context.CancellationToken);

    [Function(nameof(JobsReplaceStylePoison))]
    public Task JobsReplaceStylePoison([QueueTrigger(ReplaceStylePoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.ReplaceStyle, body, context.CancellationToken);

    [Function(nameof(JobsReplaceBackgroundPoison))]
    public Task JobsReplaceBackgroundPoison([QueueTrigger(ReplaceBackgroundPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.ReplaceBackground, body, context.CancellationToken);

    [Function(nameof(JobsIcLightPoison))]
    public Task JobsIcLightPoison([QueueTrigger(IcLightPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.IcLight, body, context.CancellationToken);

    [Function(nameof(JobsDeclaredModelsPoison))]
    public Task JobsDeclaredModelsPoison([QueueTrigger(DeclaredModelsPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.DeclaredModels, body, context.CancellationToken);

    [Function(nameof(JobsPortraitVideoPoison))]
    public Task JobsPortraitVideoPoison([QueueTrigger(PortraitVideoPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.PortraitVideo, body, context.CancellationToken);

    [Function(nameof(BatchesPoison))]
    public Task BatchesPoison([QueueTrigger(BatchesPoisonQueue, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.Batches, body, context.CancellationToken);

    [Function(nameof(WebhooksPoison))]
    public Task WebhooksPoison([QueueTrigger(WebhooksPoisonQueue, Connection = QueueConnection)] string body, FunctionContext context) =>
        SettleAsync(QueueNames.Webhooks, body, context.CancellationToken);

    private Task SettleAsync(string sourceQueue, string body, CancellationToken ct) =>
        PoisonHandling.SettleAsync(sourceQueue, body, (message, token) => delivery.DeadLetterAsync(sourceQueue, message, token), queue, logger, ct);
}
