using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Jobs.Queue;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Jobs;

/// <summary>
/// One queue function per model: each hands the delivery to <see cref="QueueDelivery"/>, which calls the queue's
/// handler (<see cref="Wati.Platform.Jobs.JobProcessor"/>, as the polling host's pump does). An exception
/// propagates on purpose: the host then redelivers the message and, after <c>maxDequeueCount</c>, moves it
/// to the poison queue (<see cref="PoisonQueueFunctions"/>).
/// </summary>
public sealed class JobQueueFunctions(QueueDelivery delivery)
{
    [Function(nameof(JobsGfpgan))]
    public Task JobsGfpgan([QueueTrigger(QueueNames.Gfpgan, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.Gfpgan, body, TriggerData.DequeueCount(context), context.CancellationToken);

    [Function(nameof(JobsReplaceStyle))]
    public Task JobsReplaceStyle([QueueTrigger(QueueNames.ReplaceStyle, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.ReplaceStyle, body, TriggerData.DequeueCount(context), context.CancellationToken);

    [Function(nameof(JobsReplaceBackground))]
    public Task JobsReplaceBackground([QueueTrigger(QueueNames.ReplaceBackground, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.ReplaceBackground, body, TriggerData.DequeueCount(context), context.CancellationToken);

    [Function(nameof(JobsIcLight))]
    public Task JobsIcLight([QueueTrigger(QueueNames.IcLight, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.IcLight, body, TriggerData.DequeueCount(context), context.CancellationToken);

    /// <summary>Every model declared in settings (<c>Wati:Models:Catalog</c>) shares this queue and the same handler.</summary>
    [Function(nameof(JobsDeclaredModels))]
    public Task JobsDeclaredModels([QueueTrigger(QueueNames.DeclaredModels, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.DeclaredModels, body, TriggerData.DequeueCount(context), context.CancellationToken);

    [Function(nameof(JobsPortraitVideo))]
    public Task JobsPortraitVideo([QueueTrigger(QueueNames.PortraitVideo, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.PortraitVideo, body, TriggerData.DequeueCount(context), context.CancellationToken);
}
