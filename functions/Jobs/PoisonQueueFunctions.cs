using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Jobs;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Jobs;

/// <summary>
/// One function per poison queue: the host put a message there after <c>maxDequeueCount</c> failed
/// deliveries; its job is failed and refunded exactly once (<see cref="JobDelivery.DeadLetterAsync"/>).
/// </summary>
public sealed class PoisonQueueFunctions(JobDelivery delivery)
{
    private const string GfpganPoison = QueueNames.Gfpgan + QueueNames.Poison;
    private const string ReplaceStylePoison = QueueNames.ReplaceStyle + QueueNames.Poison;
    private const string ReplaceBackgroundPoison = QueueNames.ReplaceBackground + QueueNames.Poison;
    private const string IcLightPoison = QueueNames.IcLight + QueueNames.Poison;

    [Function(nameof(JobsGfpganPoison))]
    public Task JobsGfpganPoison([QueueTrigger(GfpganPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeadLetterAsync(GfpganPoison, body, context.CancellationToken);

    [Function(nameof(JobsReplaceStylePoison))]
    public Task JobsReplaceStylePoison([QueueTrigger(ReplaceStylePoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeadLetterAsync(ReplaceStylePoison, body, context.CancellationToken);

    [Function(nameof(JobsReplaceBackgroundPoison))]
    public Task JobsReplaceBackgroundPoison([QueueTrigger(ReplaceBackgroundPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeadLetterAsync(ReplaceBackgroundPoison, body, context.CancellationToken);

    [Function(nameof(JobsIcLightPoison))]
    public Task JobsIcLightPoison([QueueTrigger(IcLightPoison, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeadLetterAsync(IcLightPoison, body, context.CancellationToken);
}
