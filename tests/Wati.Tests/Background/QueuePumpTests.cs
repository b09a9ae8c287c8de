using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;

namespace Wati.Tests.Background;

/// <summary>
/// The one queue pump (issue 18, item 5) against a scripted consumer and scripted handlers: what it does with each
/// handler outcome, the one backoff, the lease kept alive while a handler runs, and dead letters going to the hook of
/// their own queue's handler and then acknowledged.
/// </summary>
public sealed class QueuePumpTests
{
    private static readonly QueueOptions Options = new() { VisibilityTimeoutSeconds = 30, Concurrency = 1 };

    private sealed class Pump(params (string Queue, IQueueHandler Handler)[] handlers)
    {
        public ScriptedConsumer Consumer { get; } = new();
        public FakeTimeProvider Time { get; } = new();

        public QueuePump Create()
        {
            var services = new ServiceCollection();
            foreach (var (queue, handler) in handlers) services.AddSingleton(new QueueHandlerRegistration(queue, handler.GetType()));
            foreach (var handler in handlers.Select(h => h.Handler).Distinct()) services.AddSingleton(handler.GetType(), handler);
            services.AddSingleton<QueueHandlers>();
            var provider = services.BuildServiceProvider();
            return new QueuePump(provider.GetRequiredService<QueueHandlers>(), Consumer, Microsoft.Extensions.Options.Options.Create(Options), Time,
                NullLogger<QueuePump>.Instance);
        }
    }

    [Fact]
    public async Task A_done_outcome_completes_the_message()
    {
        var handler = new ScriptedHandler(_ => Task.FromResult(ProcessOutcome.Done));
        var pump = new Pump(("q", handler));
        var lease = pump.Consumer.Add("q", new QueueMessage("job_1", "gfpgan"));

        Assert.True(await pump.Create().PumpOnceAsync("q", CancellationToken.None));

        Assert.Equal(["job_1"], handler.Handled.Select(m => m.Id));
        Assert.Equal([("complete", lease, (TimeSpan?)null)], pump.Consumer.Settled);
    }

    [Fact]
    public async Task A_retry_outcome_reschedules_the_message_with_the_handlers_delay()
    {
        var pump = new Pump(("q", new ScriptedHandler(_ => Task.FromResult(ProcessOutcome.Retry(TimeSpan.FromSeconds(7))))));
        var lease = pump.Consumer.Add("q", new QueueMessage("bat_1", "batch"));

        await pump.Create().PumpOnceAsync("q", CancellationToken.None);

        Assert.Equal([("reschedule", lease, (TimeSpan?)TimeSpan.FromSeconds(7))], pump.Consumer.Settled);
    }

    [Fact]
    public async Task A_handler_that_throws_gets_its_message_abandoned_with_the_backoff_of_its_delivery_count()
    {
        var pump = new Pump(("q", new ScriptedHandler(_ => throw new InvalidOperationException("the store is down"))));
        var lease = pump.Consumer.Add("q", new QueueMessage("evt_1", "webhook"), deliveryCount: 3);

        Assert.True(await pump.Create().PumpOnceAsync("q", CancellationToken.None));

        var (verb, settled, delay) = Assert.Single(pump.Consumer.Settled);
        Assert.Equal(("abandon", lease), (verb, settled));
        // Delivery 3: 4 s before jitter, jittered down to no less than half.
        Assert.InRange(delay!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task No_message_means_nothing_is_handled()
    {
        var handler = new ScriptedHandler(_ => Task.FromResult(ProcessOutcome.Done));
        var pump = new Pump(("q", handler));

        Assert.False(await pump.Create().PumpOnceAsync("q", CancellationToken.None));
        Assert.Empty(handler.Handled);
        Assert.Empty(pump.Consumer.Settled);
    }

    [Theory]
    [InlineData(1, 0.0, 500)]
    [InlineData(1, 1.0, 1000)]
    [InlineData(2, 0.0, 1000)]
    [InlineData(4, 0.5, 6000)]
    [InlineData(7, 1.0, 60000)] // 64 s capped at 60
    [InlineData(50, 0.0, 30000)]
    public void The_backoff_doubles_with_the_delivery_count_is_capped_and_jittered_down_to_half(int deliveries, double jitter, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), QueueBackoff.Delay(deliveries, jitter));

    [Fact]
    public async Task The_lease_is_renewed_while_the_handler_runs_and_no_longer_once_it_returned()
    {
        var release = new TaskCompletionSource<ProcessOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pump = new Pump(("q", new ScriptedHandler(_ =>
        {
            started.TrySetResult();
            return release.Task;
        })));
        pump.Consumer.Add("q", new QueueMessage("job_1", "gfpgan"));

        var running = pump.Create().PumpOnceAsync("q", CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        pump.Time.Advance(TimeSpan.FromSeconds(10)); // a third of the 30 s visibility
        Assert.Equal(1, await pump.Consumer.Renewals.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

        release.SetResult(ProcessOutcome.Done);
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        pump.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(pump.Consumer.Renewals.Reader.TryRead(out _));
        Assert.Equal("complete", Assert.Single(pump.Consumer.Settled).Verb);
    }

    [Fact]
    public async Task Dead_letters_of_every_queue_go_to_their_own_handlers_hook_and_are_acknowledged_once_settled()
    {
        var jobs = new ScriptedHandler(_ => Task.FromResult(ProcessOutcome.Done));
        var hooks = new OtherHandler();
        var pump = new Pump(("jobs-gfpgan", jobs), ("webhooks", hooks));
        var jobLetter = pump.Consumer.AddDeadLetter("jobs-gfpgan", new QueueMessage("job_1", "gfpgan"), "MaxDeliveryCountExceeded");
        var hookLetter = pump.Consumer.AddDeadLetter("webhooks", new QueueMessage("evt_1", "webhook"), "MaxDeliveryCountExceeded");
        var failing = pump.Consumer.AddDeadLetter("webhooks", new QueueMessage("evt_fails", "webhook"), "MaxDeliveryCountExceeded");
        hooks.FailFor = "evt_fails";
        var sut = pump.Create();

        Assert.Equal(2, await sut.SettleDeadLettersAsync(CancellationToken.None));

        Assert.Equal([("job_1", "MaxDeliveryCountExceeded")], jobs.DeadLetters);
        Assert.Equal([("evt_1", "MaxDeliveryCountExceeded"), ("evt_fails", "MaxDeliveryCountExceeded")], hooks.DeadLetters);
        Assert.Equal([jobLetter, hookLetter], pump.Consumer.Acknowledged);

        // The one whose hook failed is handed out again next round; the settled ones are not.
        hooks.FailFor = null;
        Assert.Equal(1, await sut.SettleDeadLettersAsync(CancellationToken.None));
        Assert.Equal([jobLetter, hookLetter, failing], pump.Consumer.Acknowledged);
        Assert.Single(jobs.DeadLetters);
    }

    [Fact]
    public void The_queue_message_reads_the_wire_format_written_before_its_rename()
    {
        // What JobMessage(JobId, Model, Attempt) wrote, and what may still wait in a queue.
        var old = StorageJobQueue.TryParse("""{"job_id":"job_abc","model":"iclight","attempt":2}""");

        Assert.Equal(new QueueMessage("job_abc", "iclight", 2), old);
        Assert.Equal(new QueueMessage("bat_1", "batch"), StorageJobQueue.TryParse("""{"job_id":"bat_1","model":"batch","attempt":1}"""));
        Assert.Null(StorageJobQueue.TryParse("""{"id":"job_abc","kind":"iclight","attempt":2}"""));
    }

    /// <summary>A handler whose delivery outcome is scripted; it records what it was given.</summary>
    private class ScriptedHandler(Func<QueueMessage, Task<ProcessOutcome>> handle) : IQueueHandler
    {
        public ConcurrentQueue<QueueMessage> Handled { get; } = new();
        public List<(string Id, string Reason)> DeadLetters { get; } = [];
        public string? FailFor { get; set; }

        public Task<ProcessOutcome> HandleAsync(QueueMessage message, CancellationToken ct)
        {
            Handled.Enqueue(message);
            return handle(message);
        }

        public Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct)
        {
            DeadLetters.Add((message.Id, reason));
            return message.Id == FailFor ? throw new InvalidOperationException("the hook failed") : Task.CompletedTask;
        }
    }

    /// <summary>A second handler type, so two queues have different handlers.</summary>
    private sealed class OtherHandler() : ScriptedHandler(_ => Task.FromResult(ProcessOutcome.Done));

    /// <summary>A consumer holding scripted messages and dead letters, recording how each lease was settled.</summary>
    private sealed class ScriptedConsumer : IJobQueueConsumer
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<QueueLease>> _messages = new();
        private readonly List<DeadLetter> _dead = [];
        private long _sequence;
        private int _renewals;

        public List<(string Verb, QueueLease Lease, TimeSpan? Delay)> Settled { get; } = [];
        public List<DeadLetter> Acknowledged { get; } = [];
        public Channel<int> Renewals { get; } = Channel.CreateUnbounded<int>();

        public QueueLease Add(string queue, QueueMessage message, int deliveryCount = 1)
        {
            var lease = new QueueLease(queue, Interlocked.Increment(ref _sequence), "lease", message, deliveryCount);
            _messages.GetOrAdd(queue, _ => new()).Enqueue(lease);
            return lease;
        }

        public DeadLetter AddDeadLetter(string queue, QueueMessage message, string reason)
        {
            var letter = new DeadLetter(queue, Interlocked.Increment(ref _sequence), message, 5, reason, DateTimeOffset.UnixEpoch);
            _dead.Add(letter);
            return letter;
        }

        public Task<QueueLease?> ReceiveAsync(string queue, TimeSpan visibilityTimeout, TimeSpan maxWait, CancellationToken cancellationToken = default) =>
            Task.FromResult(_messages.TryGetValue(queue, out var q) && q.TryDequeue(out var lease) ? lease : null);

        public Task<bool> CompleteAsync(QueueLease lease, CancellationToken cancellationToken = default) => Settle("complete", lease, null);

        public Task<bool> AbandonAsync(QueueLease lease, TimeSpan? delay = null, CancellationToken cancellationToken = default) =>
            Settle("abandon", lease, delay);

        public Task<bool> RescheduleAsync(QueueLease lease, TimeSpan delay, CancellationToken cancellationToken = default) =>
            Settle("reschedule", lease, delay);

        public Task<bool> RenewAsync(QueueLease lease, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
        {
            Renewals.Writer.TryWrite(Interlocked.Increment(ref _renewals));
            return Task.FromResult(true);
        }

        public Task<bool> DeadLetterAsync(QueueLease lease, string reason, CancellationToken cancellationToken = default) => Settle("dead", lease, null);

        public Task<IReadOnlyList<DeadLetter>> ReceiveDeadLettersAsync(string queue, int take = 16, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<DeadLetter>>(_dead.Where(d => d.Queue == queue && !Acknowledged.Contains(d)).Take(take).ToList());

        public Task AcknowledgeDeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken = default)
        {
            Acknowledged.Add(deadLetter);
            return Task.CompletedTask;
        }

        public Task<QueueCounts> GetCountsAsync(string queue, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<DeadLetterEntry>> GetDeadLettersAsync(string queue, int take = 100, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<bool> DeleteDeadLetterAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        private Task<bool> Settle(string verb, QueueLease lease, TimeSpan? delay)
        {
            lock (Settled) Settled.Add((verb, lease, delay));
            return Task.FromResult(true);
        }
    }
}
