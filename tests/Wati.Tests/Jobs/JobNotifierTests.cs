using Wati.Platform.Jobs;

namespace Wati.Tests.Jobs;

/// <summary>The in-process wake-up of synchronous waits: prompt when notified, and nothing left behind when not.</summary>
public sealed class JobNotifierTests
{
    [Fact]
    public async Task A_wait_that_times_out_leaves_no_entry_behind()
    {
        var notifier = new JobNotifier();

        // A job finished by another instance is never notified here: each wait just times out.
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => notifier.WhenChangedAsync($"job_{i}", TimeSpan.FromMilliseconds(20), CancellationToken.None)));

        Assert.Equal(0, notifier.WaitingJobs);
    }

    [Fact]
    public async Task Notify_wakes_every_waiter_of_the_job_at_once_and_only_them()
    {
        var notifier = new JobNotifier();
        var first = notifier.WhenChangedAsync("job_a", TimeSpan.FromMinutes(1), CancellationToken.None);
        var second = notifier.WhenChangedAsync("job_a", TimeSpan.FromMinutes(1), CancellationToken.None);
        var other = notifier.WhenChangedAsync("job_b", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(2, notifier.WaitingJobs);

        notifier.Notify("job_a");
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(other.IsCompleted);
        Assert.Equal(1, notifier.WaitingJobs);
        notifier.Notify("job_b");
        await other.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, notifier.WaitingJobs);
    }

    [Fact]
    public async Task A_canceled_wait_ends_without_throwing_and_leaves_no_entry()
    {
        var notifier = new JobNotifier();
        using var cts = new CancellationTokenSource();
        var wait = notifier.WhenChangedAsync("job_c", TimeSpan.FromMinutes(1), cts.Token);

        await cts.CancelAsync();
        await wait.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, notifier.WaitingJobs);
    }
}
