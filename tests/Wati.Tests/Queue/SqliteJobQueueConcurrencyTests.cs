using System.Collections.Concurrent;
using Wati.Platform.Jobs.Queue;

namespace Wati.Tests.Queue;

public sealed class SqliteJobQueueConcurrencyTests : QueueTestBase
{
    [Fact]
    public async Task Concurrent_receivers_on_two_instances_get_each_message_exactly_once()
    {
        const int messages = 200;
        for (var i = 0; i < messages; i++) Assert.True(await Queue.EnqueueAsync("q", Job($"j{i:D3}")));

        // Two instances on one file stand in for two processes: their in-process gates are separate,
        // so only SQLite's locking keeps them apart.
        var instances = new[] { Queue, NewQueue() };
        var received = new ConcurrentBag<string>();
        var failedCompletes = 0;
        var receivers = Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
        {
            var queue = instances[n % instances.Length];
            while (await queue.ReceiveAsync("q", TimeSpan.FromMinutes(5), TimeSpan.Zero) is { } lease)
            {
                received.Add(lease.Message.Id);
                if (!await queue.CompleteAsync(lease)) Interlocked.Increment(ref failedCompletes);
            }
        }));
        await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(messages, received.Count);
        Assert.Equal(messages, received.Distinct().Count());
        Assert.Equal(0, failedCompletes);
        Assert.Equal(new QueueCounts(0, 0, 0), await Queue.GetCountsAsync("q"));
    }

    [Fact]
    public async Task Long_poll_returns_a_message_enqueued_while_waiting()
    {
        var waiting = Queue.ReceiveAsync("q", Visibility, TimeSpan.FromSeconds(30));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        await Queue.EnqueueAsync("q", Job("j1"));

        var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("j1", lease?.Message.Id);
    }

    [Fact]
    public async Task Long_poll_sees_a_message_enqueued_by_another_instance()
    {
        var waiting = Queue.ReceiveAsync("q", Visibility, TimeSpan.FromSeconds(30));

        await NewQueue().EnqueueAsync("q", Job("j1"));

        var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("j1", lease?.Message.Id);
    }

    [Fact]
    public async Task Long_poll_ignores_other_queues_and_gives_up_after_max_wait()
    {
        var waiting = Queue.ReceiveAsync("q", Visibility, TimeSpan.FromMilliseconds(500));

        await Queue.EnqueueAsync("other", Job("j1"));

        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Long_poll_honours_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        var waiting = Queue.ReceiveAsync("q", Visibility, TimeSpan.FromMinutes(5), cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
