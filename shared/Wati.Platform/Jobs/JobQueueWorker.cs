using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs;

/// <summary>
/// The polling host's queue consumers: <see cref="QueueOptions.Concurrency"/> loops per model queue,
/// each a few lines around <see cref="JobProcessor"/>, like a queue-triggered function: receive, process
/// one delivery (the message's lease kept alive meanwhile), then complete it or reschedule it with the
/// processor's delay. Between messages each loop hands unhandled dead letters to the dead-letter hook.
/// </summary>
public sealed class JobQueueWorker(JobProcessor processor, IJobQueueConsumer queue, IOptions<QueueOptions> options,
    TimeProvider time, ILogger<JobQueueWorker> logger) : BackgroundService
{
    private static readonly TimeSpan DeadLetterCheckInterval = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Models.Catalog.ModelCatalog.Queues.SelectMany(queueName =>
            Enumerable.Range(0, Math.Max(1, options.Value.Concurrency)).Select(_ => ConsumeAsync(queueName, stoppingToken))));

    private async Task ConsumeAsync(string queueName, CancellationToken stop)
    {
        var visibility = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
        var lastDeadLetterCheck = DateTimeOffset.MinValue;
        while (!stop.IsCancellationRequested)
        {
            QueueLease? lease = null;
            try
            {
                if (time.GetUtcNow() - lastDeadLetterCheck > DeadLetterCheckInterval)
                {
                    await HandleDeadLettersAsync(queueName, stop);
                    lastDeadLetterCheck = time.GetUtcNow();
                }

                lease = await queue.ReceiveAsync(queueName, visibility, TimeSpan.FromSeconds(5), stop);
                if (lease is null)
                {
                    lastDeadLetterCheck = DateTimeOffset.MinValue;
                    continue;
                }

                var held = lease;
                var outcome = await processor.ProcessAsync(lease.Message,
                    new MessageLease(visibility / 3, token => queue.RenewAsync(held, visibility, token)), stop);
                if (outcome.RetryAfter is { } delay) await queue.RescheduleAsync(lease, delay, stop);
                else await queue.CompleteAsync(lease, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The processor answers every job outcome itself; this is the store or the queue failing.
                logger.LogWarning(e, "Delivery {Delivery} of job {JobId} on {Queue} failed; it will be delivered again",
                    lease?.DeliveryCount, lease?.Message.JobId, queueName);
                if (lease is not null)
                    await queue.AbandonAsync(lease, TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(lease.DeliveryCount, 6))), CancellationToken.None);
                else
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task HandleDeadLettersAsync(string queueName, CancellationToken stop)
    {
        foreach (var letter in await queue.ReceiveDeadLettersAsync(queueName, cancellationToken: stop))
        {
            await processor.HandleDeadLetterAsync(letter.Message, letter.Reason, stop);
            await queue.AcknowledgeDeadLetterAsync(letter, stop);
        }
    }
}
