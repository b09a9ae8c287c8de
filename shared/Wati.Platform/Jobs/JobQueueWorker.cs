using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs;

/// <summary>
/// The embedded host's queue consumers: <see cref="QueueOptions.Concurrency"/> loops per model queue,
/// each a few lines around <see cref="JobProcessor"/>, like a queue-triggered function. A failed
/// delivery is released with a growing delay; the last allowed delivery fails the job instead.
/// </summary>
public sealed class JobQueueWorker(IServiceProvider services, IJobQueue queue, IOptions<QueueOptions> options,
    IOptions<JobsOptions> jobs, ILogger<JobQueueWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ModelNames.All.SelectMany(model =>
            Enumerable.Range(0, Math.Max(1, options.Value.Concurrency)).Select(_ => ConsumeAsync(JobSpecs.QueueOf(model), stoppingToken))));

    // First look: most likely the submit's charge is still committing, so look again soon. After that
    // another worker holds the job's lease: wait long enough that the deliveries left outlast it.
    private TimeSpan RetryLaterDelay(QueueLease lease) => lease.DeliveryCount <= 1
        ? TimeSpan.FromMilliseconds(250)
        : TimeSpan.FromSeconds(Math.Max(1, jobs.Value.LeaseSeconds / 2));

    private async Task ConsumeAsync(string queueName, CancellationToken stop)
    {
        var processor = services.GetRequiredService<JobProcessor>();
        var visibility = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
        while (!stop.IsCancellationRequested)
        {
            QueueLease? lease = null;
            try
            {
                lease = await queue.ReceiveAsync(queueName, visibility, TimeSpan.FromSeconds(5), stop);
                if (lease is null) continue;

                var last = lease.DeliveryCount >= options.Value.MaxDeliveries;
                var outcome = await processor.ProcessAsync(lease.Message, last, stop);
                if (outcome == ProcessOutcome.Done) await queue.CompleteAsync(lease, stop);
                else await queue.AbandonAsync(lease, RetryLaterDelay(lease), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Delivery {Delivery} of job {JobId} on {Queue} failed; it will be retried",
                    lease?.DeliveryCount, lease?.Message.JobId, queueName);
                if (lease is not null)
                    await queue.AbandonAsync(lease, TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(lease.DeliveryCount, 6))), CancellationToken.None);
                else
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
