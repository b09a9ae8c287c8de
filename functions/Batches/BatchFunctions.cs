using Microsoft.Azure.Functions.Worker;
using Wati.Functions.Jobs;
using Wati.Platform.Common;
using Wati.Platform.Jobs.Queue;
using static Wati.Functions.FunctionsComposition;

namespace Wati.Functions.Batches;

/// <summary>
/// The batch and webhook queues as queue functions (issue 12), calling their handlers through
/// <see cref="QueueDelivery"/> as the polling host's pump does, and the batch and upload sweeps on timers, calling
/// the periodic tasks its runner calls. Exceptions propagate: the host redelivers and poisons
/// (<see cref="PoisonQueueFunctions"/>).
/// </summary>
public sealed class BatchFunctions(QueueDelivery delivery, PlatformTasks tasks)
{
    /// <summary>Every minute, at second 15.</summary>
    public const string BatchSweepSchedule = "15 * * * * *";

    /// <summary>Every five minutes, at second 45.</summary>
    public const string UploadSweepSchedule = "45 */5 * * * *";

    [Function(nameof(Batches))]
    public Task Batches([QueueTrigger(QueueNames.Batches, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.Batches, body, TriggerData.DequeueCount(context), context.CancellationToken);

    [Function(nameof(Webhooks))]
    public Task Webhooks([QueueTrigger(QueueNames.Webhooks, Connection = QueueConnection)] string body, FunctionContext context) =>
        delivery.DeliverAsync(QueueNames.Webhooks, body, TriggerData.DequeueCount(context), context.CancellationToken);

    /// <summary>Batches whose message may be lost get one again (<see cref="PlatformTasks.BatchSweep"/>).</summary>
    [Function(nameof(SweepBatches))]
    public Task SweepBatches([TimerTrigger(BatchSweepSchedule)] TimerInfo timer, FunctionContext context) =>
        tasks.BatchSweep.RunAsync(context.CancellationToken);

    /// <summary>Deletes expired uploads (<see cref="PlatformTasks.UploadSweep"/>).</summary>
    [Function(nameof(SweepUploads))]
    public Task SweepUploads([TimerTrigger(UploadSweepSchedule)] TimerInfo timer, FunctionContext context) =>
        tasks.UploadSweep.RunAsync(context.CancellationToken);
}
