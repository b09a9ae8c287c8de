using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Jobs;

/// <summary>
/// One function per poison queue: the host put a message there after <c>maxDequeueCount</c> failed
/// deliveries; its job is failed and refunded exactly once (<see cref="JobDelivery.DeadLetterAsync"/>).
/// What cannot be settled is held for the admin (<see cref="PoisonHandling"/>), never thrown back.
/// </summary>
public sealed class PoisonQueueFunctions(JobDelivery delivery, StorageJobQueue queue, ILogger<PoisonQueueFunctions> logger)
{
    private const string GfpganPoison = QueueNames.Gfpgan + QueueNames.Poison;
    private const string ReplaceStylePoison = QueueNames.ReplaceStyle + QueueNames.Poison;
    private const string ReplaceBackgroundPoison = QueueNames.ReplaceBackground + QueueNames.Poison;
    private const string IcLightPoison = QueueNames.IcLight + QueueNames.Poison;

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

    private Task SettleAsync(string jobQueue, string body, CancellationToken ct) =>
        PoisonHandling.SettleAsync(jobQueue, body, (_, token) => delivery.DeadLetterAsync(jobQueue + QueueNames.Poison, body, token),
            queue, logger, ct);
}
