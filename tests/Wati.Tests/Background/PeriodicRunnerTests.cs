using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Common;

namespace Wati.Tests.Background;

/// <summary>
/// The one periodic runner (issue 18, item 5) on a fake clock: each task runs at start and then on its own
/// interval, and a task that fails every time neither stops itself nor the others.
/// </summary>
public sealed class PeriodicRunnerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>A task that reports each run (by its fake-clock time) and may fail.</summary>
    private sealed class CountingTask(string name, TimeSpan interval, FakeTimeProvider time, bool fails) : IPeriodicTask
    {
        public Channel<TimeSpan> Runs { get; } = Channel.CreateUnbounded<TimeSpan>();

        public string Name => name;

        public TimeSpan Interval => interval;

        public Task RunAsync(CancellationToken ct)
        {
            Runs.Writer.TryWrite(time.GetUtcNow() - Start);
            return fails ? throw new InvalidOperationException(name + " failed") : Task.CompletedTask;
        }

        public async Task<TimeSpan> NextRunAsync() => await Runs.Reader.ReadAsync().AsTask().WaitAsync(Wait);
    }

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_task_runs_at_start_and_then_on_its_own_interval_and_a_failing_one_keeps_going_without_stopping_others()
    {
        var time = new FakeTimeProvider(Start);
        var fast = new CountingTask("fast", TimeSpan.FromSeconds(10), time, fails: false);
        var slow = new CountingTask("slow", TimeSpan.FromSeconds(30), time, fails: false);
        var failing = new CountingTask("failing", TimeSpan.FromSeconds(20), time, fails: true);
        using var runner = new PeriodicRunner([fast, slow, failing], time, NullLogger<PeriodicRunner>.Instance);

        await runner.StartAsync(CancellationToken.None);
        // At start: every task once. Each timer exists from then on, so advancing the clock fires it.
        Assert.Equal(TimeSpan.Zero, await fast.NextRunAsync());
        Assert.Equal(TimeSpan.Zero, await slow.NextRunAsync());
        Assert.Equal(TimeSpan.Zero, await failing.NextRunAsync());

        var fastRuns = new List<TimeSpan>();
        var slowRuns = new List<TimeSpan>();
        var failingRuns = new List<TimeSpan>();
        for (var second = 10; second <= 60; second += 10)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            fastRuns.Add(await fast.NextRunAsync());
            if (second % 30 == 0) slowRuns.Add(await slow.NextRunAsync());
            if (second % 20 == 0) failingRuns.Add(await failing.NextRunAsync());
        }
        await runner.StopAsync(CancellationToken.None);

        Assert.Equal([10, 20, 30, 40, 50, 60], fastRuns.Select(t => (int)t.TotalSeconds));
        Assert.Equal([30, 60], slowRuns.Select(t => (int)t.TotalSeconds));
        Assert.Equal([20, 40, 60], failingRuns.Select(t => (int)t.TotalSeconds));
        // Nothing ran off its schedule.
        Assert.False(fast.Runs.Reader.TryRead(out _) || slow.Runs.Reader.TryRead(out _) || failing.Runs.Reader.TryRead(out _));
    }
}
