using Azure.Storage.Queues;
using Wati.Platform.Jobs.Queue;
using Wati.Tests.Support;

namespace Wati.Tests.Queue;

/// <summary>
/// What every job-queue backend must do, on the real clock (Storage Queues count visibility in whole
/// seconds, so waits here are a few seconds at most): leases hide a message, renewals keep it hidden,
/// completion removes it, a reschedule gives a fresh message later, and a message delivered more than
/// the maximum becomes a dead letter that is handed out until acknowledged. Each test uses its own
/// queue name, so backends that keep state between tests (Azurite) need no cleanup.
/// </summary>
public abstract class JobQueueContract
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    protected QueueOptions Options { get; } = new() { MaxDeliveries = 2 };

    /// <summary>A backend with <see cref="Options"/>; the same object serves both ports.</summary>
    protected abstract (IJobQueueProducer Producer, IJobQueueConsumer Consumer) Create();

    private static string NewQueue() => "jobs-t" + Guid.NewGuid().ToString("N")[..12];

    private static QueueMessage Message(string id) => new(id, "gfpgan");

    [Fact]
    public async Task AReceivedMessageIsHiddenUntilCompletedAndThenGone()
    {
        var (producer, consumer) = Create();
        var q = NewQueue();
        Assert.True(await producer.EnqueueAsync(q, Message("job_a")));

        var lease = await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        Assert.Equal((Message("job_a"), 1), (lease.Message, lease.DeliveryCount));
        Assert.Null(await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.Zero));

        Assert.True(await consumer.CompleteAsync(lease));
        Assert.False(await consumer.CompleteAsync(lease));
        Assert.Null(await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AnExpiredLeaseRedeliversWithACountAndTheOldLeaseCannotComplete()
    {
        var (producer, consumer) = Create();
        var q = NewQueue();
        await producer.EnqueueAsync(q, Message("job_b"));
        var first = await consumer.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(5));
        Assert.NotNull(first);

        var second = await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        Assert.NotNull(second);
        Assert.Equal(2, second.DeliveryCount);
        Assert.False(await consumer.CompleteAsync(first));
        Assert.True(await consumer.CompleteAsync(second));
    }

    [Fact]
    public async Task RenewingKeepsTheMessageHiddenPastItsFirstLease()
    {
        var (producer, consumer) = Create();
        var q = NewQueue();
        await producer.EnqueueAsync(q, Message("job_c"));
        var lease = await consumer.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(Lease / 2);
            Assert.True(await consumer.RenewAsync(lease, Lease));
        }
        Assert.Null(await consumer.ReceiveAsync(q, Lease, TimeSpan.Zero));
        Assert.True(await consumer.CompleteAsync(lease));
    }

    [Fact]
    public async Task ADelayedMessageAndARescheduledOneComeBackFreshAfterTheirDelay()
    {
        var (producer, consumer) = Create();
        var q = NewQueue();
        await producer.EnqueueAsync(q, Message("job_d"), TimeSpan.FromSeconds(2));
        Assert.Null(await consumer.ReceiveAsync(q, Lease, TimeSpan.Zero));
        var lease = await consumer.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(10));
        Assert.NotNull(lease);

        Assert.True(await consumer.RescheduleAsync(lease, TimeSpan.FromSeconds(2)));
        Assert.Null(await consumer.ReceiveAsync(q, Lease, TimeSpan.Zero));
        var again = await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        Assert.NotNull(again);
        Assert.Equal((1, 2, "job_d"), (again.DeliveryCount, again.Message.Attempt, again.Message.Id));
        Assert.True(await consumer.CompleteAsync(again));
    }

    [Fact]
    public async Task AMessageDeliveredTooOftenBecomesADeadLetterHandedOutUntilAcknowledged()
    {
        var (producer, consumer) = Create();
        var q = NewQueue();
        await producer.EnqueueAsync(q, Message("job_e"));
        for (var i = 1; i <= Options.MaxDeliveries; i++)
        {
            var lease = await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
            Assert.Equal(i, lease?.DeliveryCount);
        }
        // The next receive finds the message over its limit: it is dead-lettered, not handed out.
        Assert.Null(await consumer.ReceiveAsync(q, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)));

        var letter = Assert.Single(await consumer.ReceiveDeadLettersAsync(q));
        Assert.Equal(("job_e", q), (letter.Message.Id, letter.Queue));
        await consumer.AcknowledgeDeadLetterAsync(letter);
        Assert.Empty(await consumer.ReceiveDeadLettersAsync(q));
    }

    [Fact]
    public async Task TwoConsumersNeverHoldTheSameMessage()
    {
        var (producer, consumer) = Create();
        var (_, other) = Create();
        var q = NewQueue();
        for (var i = 0; i < 20; i++) await producer.EnqueueAsync(q, Message($"job_{i}"));

        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task Drain(IJobQueueConsumer c)
        {
            while (await c.ReceiveAsync(q, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)) is { } lease)
            {
                seen.Add(lease.Message.Id);
                Assert.True(await c.CompleteAsync(lease));
            }
        }
        await Task.WhenAll(Drain(consumer), Drain(other));
        Assert.Equal(20, seen.Count);
        Assert.Equal(20, seen.Distinct().Count());
    }
}

/// <summary>The contract on the embedded SQLite queue.</summary>
public sealed class SqliteJobQueueContractTests : JobQueueContract, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<SqliteJobQueue> _queues = [];

    protected override (IJobQueueProducer, IJobQueueConsumer) Create()
    {
        var queue = new SqliteJobQueue(Path.Combine(_dir.Path, "queue.db"), Options, TimeProvider.System);
        _queues.Add(queue);
        return (queue, queue);
    }

    public void Dispose()
    {
        foreach (var q in _queues) q.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The contract on Azure Storage Queues, against Azurite.</summary>
public sealed class StorageJobQueueContractTests : JobQueueContract
{
    protected override (IJobQueueProducer, IJobQueueConsumer) Create()
    {
        var undecodable = new UndecodableMessages();
        var queue = new StorageJobQueue(new QueueServiceClient(Emulators.AzuriteQueues, StorageJobQueue.ClientOptions(undecodable)), Options, undecodable);
        return (queue, queue);
    }
}
