using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Jobs.Queue;

namespace Wati.Platform.Webhooks;

/// <summary>The polling host's consumer of the <c>webhooks</c> queue, a few lines around <see cref="WebhookSender"/>.</summary>
public sealed class WebhookQueueWorker(WebhookSender sender, IJobQueueConsumer queue, IOptions<QueueOptions> options,
    ILogger<WebhookQueueWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var visibility = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
        while (!stop.IsCancellationRequested)
        {
            QueueLease? lease = null;
            try
            {
                lease = await queue.ReceiveAsync(WebhookSender.Queue, visibility, TimeSpan.FromSeconds(5), stop);
                if (lease is null) continue;
                var outcome = await sender.ProcessAsync(lease.Message, stop);
                if (outcome.RetryAfter is { } delay) await queue.RescheduleAsync(lease, delay, stop);
                else await queue.CompleteAsync(lease, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Delivery of webhook event {EventId} failed; it will be delivered again", lease?.Message.JobId);
                if (lease is not null) await queue.AbandonAsync(lease, TimeSpan.FromSeconds(5), CancellationToken.None);
                else await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
