using Wati.Platform.Jobs.Queue;

namespace Wati.Tests.Queue;

public sealed class SqliteJobQueueTests : QueueTestBase
{
    [Fact]
    public async Task Receives_in_enqueue_order()
    {
        foreach (var id in new[] { "j1", "j2", "j3" }) Assert.True(await Queue.EnqueueAsync("q", Job(id)));

        var received = new List<string>();
        while (await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero) is { } lease)
        {
            received.Add(lease.Message.Id);
            Assert.Equal(1, lease.DeliveryCount);
            Assert.True(await Queue.CompleteAsync(lease));
        }

        Assert.Equal(["j1", "j2", "j3"], received);
        Assert.Equal(new QueueCounts(0, 0, 0), await Queue.GetCountsAsync("q"));
    }

    [Fact]
    public async Task Message_round_trips_its_fields()
    {
        await Queue.EnqueueAsync("q", new QueueMessage("j1", "codeformer", 4));

        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);

        Assert.NotNull(lease);
        Assert.Equal(new QueueMessage("j1", "codeformer", 4), lease.Message);
        Assert.Equal("q", lease.Queue);
    }

    [Fact]
    public async Task Duplicate_is_dropped_while_pending_and_accepted_after_completion()
    {
        Assert.True(await Queue.EnqueueAsync("q", Job("j1")));
        Assert.False(await Queue.EnqueueAsync("q", Job("j1")));

        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);
        Assert.False(await Queue.EnqueueAsync("q", Job("j1")));
        Assert.True(await Queue.CompleteAsync(lease));

        Assert.True(await Queue.EnqueueAsync("q", Job("j1")));
        Assert.Equal(new QueueCounts(1, 0, 0), await Queue.GetCountsAsync("q"));
    }

    [Fact]
    public async Task Expired_lease_is_redelivered_and_the_old_lease_is_lost()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var first = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(first);
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Assert.Equal(new QueueCounts(0, 1, 0), await Queue.GetCountsAsync("q"));

        Time.Advance(Visibility + TimeSpan.FromSeconds(1));
        Assert.Equal(new QueueCounts(1, 0, 0), await Queue.GetCountsAsync("q"));
        var second = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);

        Assert.NotNull(second);
        Assert.Equal(2, second.DeliveryCount);
        Assert.Equal(first.SequenceNumber, second.SequenceNumber);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        Assert.False(await Queue.CompleteAsync(first));
        Assert.False(await Queue.RenewAsync(first, Visibility));
        Assert.False(await Queue.AbandonAsync(first));
        Assert.False(await Queue.DeadLetterAsync(first, "late"));
        Assert.True(await Queue.CompleteAsync(second));
    }

    [Fact]
    public async Task Renew_keeps_the_message_hidden()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);

        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await Queue.RenewAsync(lease, Visibility));
        Time.Advance(TimeSpan.FromSeconds(20));

        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Assert.Equal(new QueueCounts(0, 1, 0), await Queue.GetCountsAsync("q"));
        Assert.True(await Queue.CompleteAsync(lease));
    }

    [Fact]
    public async Task Dead_letters_after_max_deliveries()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        for (var delivery = 1; delivery <= Options.MaxDeliveries; delivery++)
        {
            var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
            Assert.NotNull(lease);
            Assert.Equal(delivery, lease.DeliveryCount);
            Time.Advance(Visibility + TimeSpan.FromSeconds(1));
        }

        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));

        Assert.Equal(new QueueCounts(0, 0, 1), await Queue.GetCountsAsync("q"));
        var dead = Assert.Single(await Queue.GetDeadLettersAsync("q"));
        Assert.Equal(SqliteJobQueue.MaxDeliveryCountExceeded, dead.Reason);
        Assert.Equal(Job("j1"), dead.Message);
        Assert.Equal(Options.MaxDeliveries, dead.DeliveryCount);
        Assert.Equal(Time.GetUtcNow(), dead.DeadLetteredAt);
        Assert.True(await Queue.EnqueueAsync("q", Job("j1")));
    }

    [Fact]
    public async Task Reschedule_replaces_the_message_with_a_fresh_one_after_the_delay()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var first = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(first);
        var second = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.Null(second);
        Time.Advance(Visibility + TimeSpan.FromSeconds(1));
        var again = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.Equal(2, again?.DeliveryCount);

        Assert.True(await Queue.RescheduleAsync(again!, TimeSpan.FromSeconds(10)));
        Assert.False(await Queue.CompleteAsync(again!));
        Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Time.Advance(TimeSpan.FromSeconds(2));
        var fresh = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(fresh);
        Assert.Equal((1, 2, "j1"), (fresh.DeliveryCount, fresh.Message.Attempt, fresh.Message.Id));
    }

    [Fact]
    public async Task Dead_letters_are_handed_out_until_acknowledged_and_stay_listed()
    {
        Options.MaxDeliveries = 1;
        await Queue.EnqueueAsync("q", Job("j1"));
        Assert.NotNull(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Time.Advance(Visibility + TimeSpan.FromSeconds(1));
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));

        var letter = Assert.Single(await Queue.ReceiveDeadLettersAsync("q"));
        Assert.Equal(("q", "j1", SqliteJobQueue.MaxDeliveryCountExceeded), (letter.Queue, letter.Message.Id, letter.Reason));
        // Not acknowledged (the handler died): handed out again, also to another instance.
        Assert.Single(await NewQueue().ReceiveDeadLettersAsync("q"));

        await Queue.AcknowledgeDeadLetterAsync(letter);
        Assert.Empty(await Queue.ReceiveDeadLettersAsync("q"));
        Assert.Equal("j1", Assert.Single(await Queue.GetDeadLettersAsync("q")).Message?.Id);
    }

    [Fact]
    public async Task Dead_letter_skips_to_the_next_message_in_the_same_receive()
    {
        Options.MaxDeliveries = 1;
        await Queue.EnqueueAsync("q", Job("j1"));
        await Queue.EnqueueAsync("q", Job("j2"));
        Assert.NotNull(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Time.Advance(Visibility + TimeSpan.FromSeconds(1));

        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);

        Assert.Equal("j2", lease?.Message.Id);
        Assert.Equal("j1", Assert.Single(await Queue.GetDeadLettersAsync("q")).Message?.Id);
    }

    [Fact]
    public async Task An_admin_deletes_a_dead_letter_handled_or_not_but_never_a_live_message()
    {
        Options.MaxDeliveries = 1;
        await Queue.EnqueueAsync("q", Job("j1"));
        Assert.NotNull(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Time.Advance(Visibility + TimeSpan.FromSeconds(1));
        await Queue.EnqueueAsync("q", Job("j2"));
        var live = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.Equal("j2", live?.Message.Id);
        var dead = Assert.Single(await Queue.GetDeadLettersAsync("q"));
        await Queue.AcknowledgeDeadLetterAsync(Assert.Single(await Queue.ReceiveDeadLettersAsync("q")));

        Assert.False(await Queue.DeleteDeadLetterAsync(live!.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.False(await Queue.DeleteDeadLetterAsync("not-a-number"));
        Assert.True(await Queue.DeleteDeadLetterAsync(dead.Id));

        Assert.Empty(await Queue.GetDeadLettersAsync("q"));
        Assert.False(await Queue.DeleteDeadLetterAsync(dead.Id));
        Assert.True(await Queue.CompleteAsync(live));
    }

    [Fact]
    public async Task Explicit_dead_letter_keeps_the_reason()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);

        Assert.True(await Queue.DeadLetterAsync(lease, "PoisonInput"));

        var dead = Assert.Single(await Queue.GetDeadLettersAsync("q"));
        Assert.Equal("PoisonInput", dead.Reason);
        Assert.Equal(1, dead.DeliveryCount);
        Assert.False(await Queue.CompleteAsync(lease));
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
    }

    [Fact]
    public async Task Abandon_with_delay_hides_the_message_until_the_delay_has_passed()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);

        Assert.True(await Queue.AbandonAsync(lease, TimeSpan.FromSeconds(10)));
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
        Assert.Equal(new QueueCounts(1, 0, 0), await Queue.GetCountsAsync("q"));

        Time.Advance(TimeSpan.FromSeconds(11));
        var again = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(again);
        Assert.Equal(2, again.DeliveryCount);
        Assert.False(await Queue.CompleteAsync(lease));
    }

    [Fact]
    public async Task Abandon_without_delay_makes_the_message_visible_at_once()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);

        Assert.True(await Queue.AbandonAsync(lease));

        Assert.Equal(2, (await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero))?.DeliveryCount);
    }

    [Fact]
    public async Task Delayed_enqueue_is_invisible_until_due()
    {
        await Queue.EnqueueAsync("q", Job("j1"), TimeSpan.FromSeconds(5));
        Assert.Null(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));

        Time.Advance(TimeSpan.FromSeconds(5));

        Assert.NotNull(await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero));
    }

    [Fact]
    public async Task Queues_are_isolated()
    {
        await Queue.EnqueueAsync("a", Job("j1"));
        Assert.True(await Queue.EnqueueAsync("b", Job("j1")));

        var fromA = await Queue.ReceiveAsync("a", Visibility, TimeSpan.Zero);
        Assert.NotNull(fromA);
        Assert.Null(await Queue.ReceiveAsync("a", Visibility, TimeSpan.Zero));
        Assert.Equal(new QueueCounts(0, 1, 0), await Queue.GetCountsAsync("a"));
        Assert.Equal(new QueueCounts(1, 0, 0), await Queue.GetCountsAsync("b"));
        Assert.False(await Queue.CompleteAsync(fromA with { Queue = "b" }));
        Assert.Equal(new QueueCounts(0, 0, 0), await Queue.GetCountsAsync("c"));
    }

    [Fact]
    public async Task Messages_and_leases_survive_reopening_the_file()
    {
        await Queue.EnqueueAsync("q", Job("j1"));
        await Queue.EnqueueAsync("q", Job("j2"));
        var lease = await Queue.ReceiveAsync("q", Visibility, TimeSpan.Zero);
        Assert.NotNull(lease);
        Queue.Dispose();

        var reopened = NewQueue();

        Assert.Equal(new QueueCounts(1, 1, 0), await reopened.GetCountsAsync("q"));
        Assert.False(await reopened.EnqueueAsync("q", Job("j1")));
        Assert.True(await reopened.CompleteAsync(lease));
        Assert.Equal("j2", (await reopened.ReceiveAsync("q", Visibility, TimeSpan.Zero))?.Message.Id);
    }

    [Fact]
    public async Task Is_ready_until_disposed()
    {
        Assert.True(await Queue.IsReadyAsync());
        Queue.Dispose();
        Assert.False(await Queue.IsReadyAsync());
    }
}
