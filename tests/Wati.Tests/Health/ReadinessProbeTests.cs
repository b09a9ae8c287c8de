using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Health;

namespace Wati.Tests.Health;

/// <summary>
/// <see cref="ReadinessProbe"/> on a fake clock (issue 17, "Readiness too slow to tell"): the checks run at
/// once, each cut off at its deadline, and every failing check is named with its reason.
/// </summary>
public sealed class ReadinessProbeTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private ReadinessProbe Probe(params IReadinessCheck[] checks) =>
        new(checks, Options.Create(new HealthOptions { CheckTimeoutMilliseconds = 1500 }), _time);

    [Fact]
    public async Task Hanging_checks_are_cut_off_at_one_deadline_and_every_failure_is_named()
    {
        var tables = new ScriptedCheck("tables") { Hangs = true };
        var queue = new ScriptedCheck("queue") { Hangs = true };
        var objects = new ScriptedCheck("objects") { Problem = "bucket 'b' does not exist" };
        var models = new ScriptedCheck("models");

        var run = Probe(tables, queue, objects, models).RunAsync(CancellationToken.None);
        // Both hanging checks were asked before either answered: they run at once, not one after another.
        Assert.True(tables.Asked && queue.Asked);
        Assert.False(run.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.False(run.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var results = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("no answer within 1500 ms", results["tables"]);
        Assert.Equal("no answer within 1500 ms", results["queue"]);
        Assert.Equal("bucket 'b' does not exist", results["objects"]);
        Assert.Equal("ok", results["models"]);
        // The deadline also cancels the checks' own calls, so an SDK stops retrying rather than running on.
        await tables.Canceled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await queue.Canceled.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_check_that_ignores_its_token_is_still_reported_at_the_deadline()
    {
        var deaf = new ScriptedCheck("tables") { IgnoresToken = true };

        var run = Probe(deaf, new ScriptedCheck("objects")).RunAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(1500));
        var results = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("no answer within 1500 ms", results["tables"]);
        Assert.Equal("ok", results["objects"]);
    }

    [Fact]
    public async Task A_check_that_throws_is_reported_with_the_first_line_of_its_message()
    {
        var broken = new ScriptedCheck("queue") { Throws = new InvalidOperationException("queue refused\nstack and details") };

        var results = await Probe(broken).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("queue refused", results["queue"]);
    }

    /// <summary>A readiness check that answers, fails, throws, or hangs (honouring its token or not).</summary>
    internal sealed class ScriptedCheck(string name) : IReadinessCheck
    {
        public string Name => name;
        public string? Problem { get; init; }
        public Exception? Throws { get; init; }
        public bool Hangs { get; init; }
        public bool IgnoresToken { get; init; }
        public bool Asked { get; private set; }
        public TaskCompletionSource Canceled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<string?> CheckAsync(CancellationToken ct)
        {
            Asked = true;
            if (Throws is not null) throw Throws;
            if (IgnoresToken) return await new TaskCompletionSource<string?>().Task;
            if (Hangs)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    Canceled.TrySetResult();
                    throw;
                }
            }
            return Problem;
        }
    }
}
