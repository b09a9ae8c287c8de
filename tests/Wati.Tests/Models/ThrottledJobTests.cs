using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Wati.Platform.Common;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Tests.Jobs;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>
/// Field report "Replicate's 429 hint lives in the body" (issue 17), at the job processor: a throttle without
/// a hint, and the circuit breaker refusing a call, put the job back without spending an attempt; a job is
/// allowed its whole budget of throttles (<see cref="JobsOptions.MaxThrottles"/>). Real host (SQLite), a
/// scripted provider, each delivery driven by the test.
/// </summary>
public sealed class ThrottledJobTests : IClassFixture<ThrottledJobTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Models:MaxRetries"] = "0",
        ["Wati:Jobs:MaxAttempts"] = "2",
        ["Wati:Jobs:MaxThrottles"] = "8",
    })
    {
        public FakeModelProvider Model { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.UseModel(Model).StopWorkers(typeof(QueuePump), typeof(PeriodicRunner)));
        }
    }

    private readonly ApiClient _api;
    private readonly FakeModelProvider _model;
    private readonly JobProcessor _processor;
    private readonly SqliteJobQueue _queue;
    private readonly JobsService _jobs;

    public ThrottledJobTests(App app)
    {
        _api = app.Api();
        _model = app.Model;
        _model.Reset();
        _processor = app.Services.GetRequiredService<JobProcessor>();
        _queue = app.Services.GetRequiredService<SqliteJobQueue>();
        _jobs = app.Services.GetRequiredService<JobsService>();
    }

    private static FakeModelProvider.Behavior HintlessThrottle() =>
        (_, _) => throw new ModelException("Replicate answered 429: Request was throttled.", isTransient: true) { IsThrottled = true };

    private static FakeModelProvider.Behavior BreakerOpen() =>
        (_, _) => throw new BrokenCircuitException("The circuit is now open", TimeSpan.FromSeconds(15));

    [Fact]
    public async Task BreakerRejectionsAndHintlessThrottlesSpendThrottlesNotAttempts()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        // More refusals than MaxAttempts (2): each must come back, none may fail the job.
        _model.Next(BreakerOpen(), BreakerOpen(), BreakerOpen(), HintlessThrottle(), HintlessThrottle(), FakeModelProvider.Succeed());

        var delays = new List<TimeSpan?>();
        for (var i = 0; i < 5; i++)
        {
            var lease = await ReceiveAsync(jobId);
            delays.Add((await _processor.ProcessAsync(lease.Message, null, CancellationToken.None)).RetryAfter);
            Assert.True(await _queue.RescheduleAsync(lease, TimeSpan.Zero));
        }
        var waiting = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Queued, 0, 5), (waiting.State, waiting.Attempts, waiting.Throttles));
        // The breaker says when it closes again; a throttle with no hint still waits.
        Assert.Equal(TimeSpan.FromSeconds(15), delays[0]);
        Assert.All(delays, d => Assert.True(d > TimeSpan.Zero));

        var last = await ReceiveAsync(jobId);
        Assert.True((await _processor.ProcessAsync(last.Message, null, CancellationToken.None)).IsDone);
        var done = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Succeeded, 1), (done.State, done.Attempts));
    }

    [Fact]
    public async Task AJobIsAllowedItsWholeBudgetOfThrottlesThenFailsRefunded()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        _model.Next(Enumerable.Range(0, 9).Select(_ => HintlessThrottle()).ToArray());

        for (var i = 0; i < 8; i++)
        {
            var lease = await ReceiveAsync(jobId);
            Assert.False((await _processor.ProcessAsync(lease.Message, null, CancellationToken.None)).IsDone, $"throttle {i + 1}");
            Assert.True(await _queue.RescheduleAsync(lease, TimeSpan.Zero));
        }
        var final = await ReceiveAsync(jobId);
        Assert.True((await _processor.ProcessAsync(final.Message, null, CancellationToken.None)).IsDone);

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Failed, true, 8), (job.State, job.Refunded, job.Throttles));
        Assert.Equal(9, _model.Calls);
        Assert.Equal("10", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    private async Task<QueueLease> ReceiveAsync(string jobId)
    {
        for (var i = 0; i < 50; i++)
        {
            var lease = await _queue.ReceiveAsync(JobSpecs.QueueOf(ModelNames.Gfpgan), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2));
            Assert.NotNull(lease);
            if (lease.Message.Id == jobId) return lease;
            await _queue.CompleteAsync(lease);
        }
        throw new InvalidOperationException($"no message for {jobId}");
    }
}
