using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Batches;

/// <summary>
/// The polling host's consumer of the <c>batches</c> queue, a few lines around <see cref="BatchFeeder"/>
/// like <see cref="Jobs.JobQueueWorker"/>: receive, process, complete or reschedule with the feeder's delay.
/// </summary>
public sealed class BatchQueueWorker(BatchFeeder feeder, BatchesService batches, IJobQueueConsumer queue, IOptions<QueueOptions> options,
    TimeProvider time, ILogger<BatchQueueWorker> logger) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(60);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Value.Concurrency)).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stop)
    {
        var visibility = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
        var lastSweep = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            QueueLease? lease = null;
            try
            {
                if (time.GetUtcNow() - lastSweep > SweepInterval)
                {
                    // Batches whose message may be lost (a submit stopped after its reservation) get one again.
                    lastSweep = time.GetUtcNow();
                    await batches.SweepAsync(SweepInterval, stop);
                }
                foreach (var letter in await queue.ReceiveDeadLettersAsync(BatchesService.Queue, cancellationToken: stop))
                {
                    await feeder.HandleDeadLetterAsync(letter.Message, letter.Reason, stop);
                    await queue.AcknowledgeDeadLetterAsync(letter, stop);
                }
                lease = await queue.ReceiveAsync(BatchesService.Queue, visibility, TimeSpan.FromSeconds(5), stop);
                if (lease is null) continue;
                var outcome = await feeder.ProcessAsync(lease.Message, stop);
                if (outcome.RetryAfter is { } delay) await queue.RescheduleAsync(lease, delay, stop);
                else await queue.CompleteAsync(lease, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Delivery {Delivery} of batch {BatchId} failed; it will be delivered again",
                    lease?.DeliveryCount, lease?.Message.JobId);
                if (lease is not null) await queue.AbandonAsync(lease, TimeSpan.FromSeconds(2), CancellationToken.None);
                else await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
