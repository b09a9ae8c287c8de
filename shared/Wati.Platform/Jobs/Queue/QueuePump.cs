using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The polling host's one queue consumer (docs/decisions/0007), for every queue a <see cref="IQueueHandler"/> is
/// registered for, on either <see cref="IJobQueueConsumer"/> (SQLite or Storage Queues). The pump owns the loop,
/// the concurrency (<see cref="QueueOptions.Concurrency"/> loops per queue), the lease and the backoff; a handler
/// only says what a message means. Per delivery: receive under a lease, keep the lease alive while the handler
/// runs, then complete (<see cref="ProcessOutcome.Done"/>), reschedule (a retry delay), or, when the handler
/// throws, abandon it with <see cref="QueueBackoff"/>. Every <see cref="DeadLetterInterval"/> the dead letters of
/// every queue go to their handler's hook and are then acknowledged.
/// </summary>
public sealed class QueuePump(QueueHandlers handlers, IJobQueueConsumer queue, IOptions<QueueOptions> options, TimeProvider time,
    ILogger<QueuePump> logger) : BackgroundService
{
    /// <summary>How often every queue's dead letters are handed to their hooks (and once at start).</summary>
    public static readonly TimeSpan DeadLetterInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ReceiveWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PauseAfterQueueFailure = TimeSpan.FromSeconds(1);

    private TimeSpan Visibility => TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(handlers.Queues
            .SelectMany(name => Enumerable.Range(0, Math.Max(1, options.Value.Concurrency)).Select(_ => ConsumeAsync(name, stoppingToken)))
            .Append(SettleDeadLettersEveryIntervalAsync(stoppingToken)));

    /// <summary>
    /// Receives at most one message of <paramref name="queueName"/> (waiting a few seconds for one) and settles it.
    /// False when none came. A failure of the queue itself propagates.
    /// </summary>
    public async Task<bool> PumpOnceAsync(string queueName, CancellationToken stop)
    {
        var lease = await queue.ReceiveAsync(queueName, Visibility, ReceiveWait, stop);
        if (lease is null) return false;
        var handler = handlers.For(queueName);
        ProcessOutcome outcome;
        try
        {
            await using (LeaseKeeper.Start(Visibility / 3, token => queue.RenewAsync(lease, Visibility, token), time, logger, "message"))
                outcome = await handler.HandleAsync(lease.Message, stop);
        }
        catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested))
        {
            // The handler answers every expected outcome itself; this is a store, a queue or a bug: deliver it again later.
            var delay = QueueBackoff.Delay(lease.DeliveryCount, Random.Shared.NextDouble());
            logger.LogWarning(e, "Delivery {Delivery} of {Id} on {Queue} failed; delivered again in {Delay}",
                lease.DeliveryCount, lease.Message.Id, queueName, delay);
            await queue.AbandonAsync(lease, delay, CancellationToken.None);
            return true;
        }
        // Stopping (canceled above): the lease runs out and the message comes back; the record decides then.
        if (outcome.RetryAfter is { } retry) await queue.RescheduleAsync(lease, retry, stop);
        else await queue.CompleteAsync(lease, stop);
        return true;
    }

    /// <summary>
    /// Hands every unhandled dead letter of every consumed queue to its handler's hook, then acknowledges it. A hook
    /// that throws is logged and its letter left for the next round (hooks are idempotent).
    /// </summary>
    /// <returns>How many letters were settled and acknowledged.</returns>
    public async Task<int> SettleDeadLettersAsync(CancellationToken stop)
    {
        var settled = 0;
        foreach (var name in handlers.Queues)
        {
            var handler = handlers.For(name);
            foreach (var letter in await queue.ReceiveDeadLettersAsync(name, cancellationToken: stop))
            {
                try
                {
                    await handler.HandleDeadLetterAsync(letter.Message, letter.Reason, stop);
                }
                catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested))
                {
                    logger.LogWarning(e, "The dead letter of {Id} on {Queue} could not be settled; it is tried again", letter.Message.Id, name);
                    continue;
                }
                await queue.AcknowledgeDeadLetterAsync(letter, stop);
                settled++;
            }
        }
        return settled;
    }

    private async Task ConsumeAsync(string queueName, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PumpOnceAsync(queueName, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "The queue {Queue} failed; receiving again shortly", queueName);
                await Pause(PauseAfterQueueFailure, stop);
            }
        }
    }

    private async Task SettleDeadLettersEveryIntervalAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(DeadLetterInterval, time);
        try
        {
            do
            {
                try
                {
                    await SettleDeadLettersAsync(stop);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Dead letters could not be read; trying again at the next tick");
                }
            } while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private Task Pause(TimeSpan delay, CancellationToken stop) =>
        Task.Delay(delay, time, stop).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
}

/// <summary>
/// The one wait before a delivery whose handler threw is delivered again: exponential in the delivery count
/// (<see cref="First"/>, doubling, at most <see cref="Cap"/>), jittered down to half so that messages that failed
/// together do not all come back together ("equal jitter").
/// </summary>
public static class QueueBackoff
{
    /// <summary>The longest wait before delivery 1 is delivered again.</summary>
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait of any delivery.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);

    /// <summary>The wait after delivery <paramref name="deliveryCount"/> (from 1) failed, for a <paramref name="jitter"/> in [0, 1).</summary>
    public static TimeSpan Delay(int deliveryCount, double jitter)
    {
        var exponential = Math.Min(Cap.TotalMilliseconds, First.TotalMilliseconds * Math.Pow(2, Math.Clamp(deliveryCount, 1, 30) - 1));
        return TimeSpan.FromMilliseconds(Math.Round(exponential * (0.5 + Math.Clamp(jitter, 0, 1) / 2)));
    }
}
