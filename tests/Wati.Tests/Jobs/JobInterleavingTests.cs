using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Storage;
using Wati.Tests.Support;

namespace Wati.Tests.Jobs;

/// <summary>
/// The submit, the processor and the sweeper interleaved step by step (docs/decisions/0005): a scripted
/// store and queue stop each at a chosen point, or make it "die" there, and time is a fake clock, so
/// every order of steps is taken on purpose, never by luck.
/// </summary>
public sealed class JobInterleavingTests
{
    private const long Bonus = 10;

    private sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Models:MaxRetries"] = "0",
        // The per-attempt model timeout runs on the fake clock too; keep it out of the way of long runs.
        ["Wati:Models:TimeoutSeconds"] = "3600",
        ["Wati:Jobs:MaxAttempts"] = "2",
        ["Wati:Jobs:MaxActivePerUser"] = "50",
    })
    {
        public FakeModelProvider Model { get; } = new();
        public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                s.UseModel(Model).StopWorkers(typeof(QueuePump), typeof(PeriodicRunner));
                s.RemoveAll<TimeProvider>();
                s.AddSingleton<TimeProvider>(Time);
                s.Decorate<ITableStore>(inner => new ScriptedTableStore(inner));
                s.Decorate<IJobQueueProducer>(inner => new ScriptedProducer(inner));
            });
        }

        public ScriptedTableStore Store => (ScriptedTableStore)Services.GetRequiredService<ITableStore>();
        public ScriptedProducer Producer => (ScriptedProducer)Services.GetRequiredService<IJobQueueProducer>();
        public SqliteJobQueue Queue => Services.GetRequiredService<SqliteJobQueue>();
        public JobProcessor Processor => Services.GetRequiredService<JobProcessor>();
        public JobSweeper Sweeper => Services.GetRequiredService<JobSweeper>();
        public JobsService Jobs => Services.GetRequiredService<JobsService>();
        public CreditsService Credits => Services.GetRequiredService<CreditsService>();
    }

    [Fact]
    public async Task EveryMessageIsSentOnlyAfterItsChargeCommitted()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var seen = 0;
        app.Producer.BeforeEnqueue = async (_, message) =>
        {
            // At the instant of sending, the job row and its held charge already exist.
            var job = await app.Jobs.FindAsync(userId, message.Id, CancellationToken.None);
            Assert.NotNull(job);
            Assert.Equal(JobStates.Queued, job.State);
            Assert.NotNull(await app.Store.GetAsync(JobsService.UsersTable, userId, CreditRows.Charge(message.Id)));
            Interlocked.Increment(ref seen);
        };

        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await JobSubmits.GfpganAsync(user));
        Assert.Equal(5, seen);

        app.Model.Next(Enumerable.Range(0, 5).Select(_ => FakeModelProvider.Succeed()).ToArray());
        foreach (var id in ids) await DeliverAsync(app, id);
        foreach (var id in ids) Assert.Equal(JobStates.Succeeded, (await app.Jobs.GetAsync(userId, id, CancellationToken.None)).State);
        await AssertMoneyAsync(app, userId, Bonus - 5, 0);
    }

    [Fact]
    public async Task AJobChargedButNeverSentIsSentByTheSweeperAndRunsOnce()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        // The process "dies" between the charge and the send.
        app.Producer.BeforeEnqueue = (_, _) => throw new IOException("gone between charge and send");
        var jobId = await JobSubmits.GfpganAsync(user);
        app.Producer.BeforeEnqueue = null;

        Assert.Equal(JobStates.Queued, (await app.Jobs.GetAsync(userId, jobId, CancellationToken.None)).State);
        Assert.Null(await app.Queue.ReceiveAsync(JobSpecs.QueueOf(ModelNames.Gfpgan), TimeSpan.FromSeconds(30), TimeSpan.Zero));
        await AssertMoneyAsync(app, userId, Bonus - 1, 1);

        // Within the grace the sweeper leaves it (the submit may still be sending); after it, it sends.
        Assert.Equal(0, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);
        app.Time.Advance(JobSweeper.SendGrace + TimeSpan.FromSeconds(1));
        var stuck = Assert.Single(await app.Sweeper.ListStuckAsync(CancellationToken.None));
        Assert.Equal((jobId, SweepAction.Send), (stuck.JobId, stuck.Action));
        var listed = (await (await app.Api().AdminAsync()).GetAsync("/v1/admin/jobs/stuck")).Expect(200);
        var item = Assert.Single(listed.Data.GetProperty("items").EnumerateArray());
        Assert.Equal((jobId, "send", "queued"), (item.GetProperty("job_id").GetString(), item.GetProperty("action").GetString(),
            item.GetProperty("state").GetString()));
        (await user.GetAsync("/v1/admin/jobs/stuck")).Expect(403, "PERMISSION_DENIED");
        Assert.Equal(1, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);
        // Sent once: the next sweep leaves it alone.
        Assert.Equal(0, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);

        await DeliverAsync(app, jobId);
        Assert.Equal(1, app.Model.Calls);
        Assert.Equal(JobStates.Succeeded, (await app.Jobs.GetAsync(userId, jobId, CancellationToken.None)).State);
        await AssertMoneyAsync(app, userId, Bonus - 1, 0);
        Assert.Empty(await app.Sweeper.ListStuckAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ASubmitStalledBeforeItsChargeIsAbandonedAndItsLateChargeIsRefused()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var atCharge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Stop the submit just before its charge (the batch that inserts the job row).
        app.Store.BeforeBatch = async (table, ops) =>
        {
            if (table == JobsService.UsersTable &&
                ops.Any(o => o.Kind == TableOperationKind.Insert && o.Entity.RowKey.StartsWith(JobRecord.RowPrefix, StringComparison.Ordinal)))
            {
                atCharge.TrySetResult();
                await release.Task;
            }
        };

        var submit = JobSubmits.GfpganRawAsync(user);
        await atCharge.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var entry = Assert.Single(await ListIndexAsync(app));
        Assert.Empty(await app.Sweeper.ListStuckAsync(CancellationToken.None));

        app.Time.Advance(TimeSpan.FromSeconds(app.Jobs.Options.AbandonSubmitAfterSeconds + 1));
        Assert.Equal(1, (await app.Sweeper.SweepAsync(CancellationToken.None)).Abandoned);
        foreach (var key in entry.InputKeys) Assert.Null(await app.Services.GetRequiredService<IObjectStore>().GetAsync(key));

        release.SetResult();
        var answer = (await submit).Expect(500, "INTERNAL_ERROR");
        Assert.Contains("nothing was charged", answer.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, app.Producer.Sent);

        var job = await app.Jobs.GetAsync(userId, entry.JobId, CancellationToken.None);
        Assert.Equal((JobStates.Failed, 0L), (job.State, job.NetCharge));
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Empty(await ListIndexAsync(app));
    }

    [Fact]
    public async Task ACancelWhileTheWorkerWaitsForAModelSlotWinsAndTheModelNeverRuns()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var busy = await JobSubmits.GfpganAsync(user);
        var waiting = await JobSubmits.GfpganAsync(user);

        var gate = new FakeModelProvider.Gate();
        app.Model.Next(FakeModelProvider.Block(gate, FakeModelProvider.Succeed()), FakeModelProvider.Succeed());
        var first = app.Processor.ProcessAsync(new QueueMessage(busy, ModelNames.Gfpgan), null, CancellationToken.None);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // The only slot is taken: this delivery waits, and its job stays queued meanwhile.
        var second = app.Processor.ProcessAsync(new QueueMessage(waiting, ModelNames.Gfpgan), null, CancellationToken.None);
        Assert.Equal(JobStates.Queued, (await app.Jobs.GetAsync(userId, waiting, CancellationToken.None)).State);
        (await user.DeleteAsync($"/v1/jobs/{waiting}")).Expect(200);

        gate.Release();
        Assert.True((await first.WaitAsync(TimeSpan.FromSeconds(20))).IsDone);
        Assert.True((await second.WaitAsync(TimeSpan.FromSeconds(20))).IsDone);
        Assert.Equal(1, app.Model.Calls);
        Assert.Equal(JobStates.Canceled, (await app.Jobs.GetAsync(userId, waiting, CancellationToken.None)).State);
        await AssertMoneyAsync(app, userId, Bonus - 1, 0);
    }

    [Fact]
    public async Task ARunLongerThanItsLeaseKeepsItByHeartbeatAndADuplicateDeliveryDoesNotRunIt()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        var gate = new FakeModelProvider.Gate();
        app.Model.Next(FakeModelProvider.Block(gate, FakeModelProvider.Succeed()), FakeModelProvider.Succeed());
        var run = app.Processor.ProcessAsync(new QueueMessage(jobId, ModelNames.Gfpgan), null, CancellationToken.None);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var started = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        var lease = TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds);

        // Three leases' worth of time passes while the model runs; each beat pushes the lease on.
        await AdvanceWithBeatsAsync(app, userId, jobId, lease * 3);
        var held = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.True(held.LeaseUntil > app.Time.GetUtcNow(), $"lease {held.LeaseUntil} ran out at {app.Time.GetUtcNow()}");
        Assert.Equal(started.Claim, held.Claim);

        Assert.True((await app.Processor.ProcessAsync(new QueueMessage(jobId, ModelNames.Gfpgan), null, CancellationToken.None)).IsDone);
        Assert.Empty(await app.Sweeper.ListStuckAsync(CancellationToken.None));

        gate.Release();
        Assert.True((await run.WaitAsync(TimeSpan.FromSeconds(20))).IsDone);
        var job = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Succeeded, 1, 1), (job.State, job.Attempts, app.Model.Calls));
        Assert.Equal(started.StartedAt, job.StartedAt);
        // The model's own time, on the same clock: the three leases it ran for, and no more than the job took.
        Assert.InRange(job.ModelMs!.Value, (int)(lease * 3).TotalMilliseconds, (int)(job.FinishedAt!.Value - job.CreatedAt).TotalMilliseconds);
        await AssertMoneyAsync(app, userId, Bonus - 1, 0);
    }

    [Fact]
    public async Task AWorkerThatLosesItsLeaseStopsTheModelAndStoresNothing()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        var gate = new FakeModelProvider.Gate();
        app.Model.Next(FakeModelProvider.Block(gate, FakeModelProvider.Succeed(seed: 9)));
        var run = app.Processor.ProcessAsync(new QueueMessage(jobId, ModelNames.Gfpgan), null, CancellationToken.None);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // Another worker took the job over (as after a long pause of this one).
        var row = (await app.Store.GetAsync(JobsService.UsersTable, userId, JobRecord.RowKey(jobId)))!;
        await app.Store.MergeAsync(JobsService.UsersTable, new TableEntity(userId, JobRecord.RowKey(jobId))
            .With("claim", "claim_other").With("lease_until", app.Time.GetUtcNow() + TimeSpan.FromHours(1)), row.ETag!);

        // The next beat finds the claim gone and stops the model (the gate is never released).
        for (var i = 0; i < 20 && !run.IsCompleted; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds) / 3);
            await Task.WhenAny(run, Task.Delay(250));
        }
        Assert.True((await run.WaitAsync(TimeSpan.FromSeconds(20))).IsDone);

        var job = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Running, "claim_other"), (job.State, job.Claim));
        Assert.Empty(job.Outputs);
        Assert.Null(await app.Services.GetRequiredService<IObjectStore>().GetAsync(JobSpecs.OutputKey(job.Model, job.Params, jobId, 0, "png")));
        await AssertMoneyAsync(app, userId, Bonus - 1, 1);
    }

    [Fact]
    public async Task TheSweeperSendsAJobWhoseWorkerDiedAndFailsItOnTheLastAttemptOnceEvenWhenTwoSweep()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        await DrainAsync(app);

        // A worker claims and dies (its heartbeat stops with it): simulate by the row it leaves behind.
        await LeaveClaimedAsync(app, userId, jobId, attempts: 1);
        Assert.Equal(0, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);
        app.Time.Advance(TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds + 1));
        Assert.Equal(SweepAction.Send, Assert.Single(await app.Sweeper.ListStuckAsync(CancellationToken.None)).Action);
        Assert.Equal(1, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);
        Assert.Equal(0, (await app.Sweeper.SweepAsync(CancellationToken.None)).Sent);

        // The second attempt's worker dies too: that was the last one, so the job fails, refunded once by two sweepers.
        await DrainAsync(app);
        await LeaveClaimedAsync(app, userId, jobId, attempts: 2);
        app.Time.Advance(TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds + 1));
        var reports = await Task.WhenAll(app.Sweeper.SweepAsync(CancellationToken.None), app.Sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(1, reports.Sum(r => r.Failed));

        var job = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Failed, true), (job.State, job.Refunded));
        Assert.Equal(0, app.Model.Calls);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Empty(await ListIndexAsync(app));
    }

    [Fact]
    public async Task CancelingARunningJobStopsTheModelWithinABeatAndRefundsOnce()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        var gate = new FakeModelProvider.Gate();
        var modelCanceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Model.Next(async (request, token) =>
        {
            gate.Started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                modelCanceled.TrySetResult();
                throw;
            }
            return [];
        });
        var run = app.Processor.ProcessAsync(new QueueMessage(jobId, ModelNames.Gfpgan), null, CancellationToken.None);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var asked = (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);
        Assert.Equal(("running", true), (asked.Data.GetProperty("state").GetString(), asked.Data.GetProperty("cancel_requested").GetBoolean()));
        await AssertMoneyAsync(app, userId, Bonus - 1, 1);

        // The next heartbeat sees the request: the model's token is canceled and the job ends canceled, refunded.
        app.Time.Advance(JobProcessor.CancelCheckInterval);
        await modelCanceled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True((await run.WaitAsync(TimeSpan.FromSeconds(20))).IsDone);
        var job = await app.Jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Canceled, 0L), (job.State, job.NetCharge));
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Empty(await ListIndexAsync(app));

        // Deleting it now removes its files; nothing more is refunded.
        (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);
        await AssertMoneyAsync(app, userId, Bonus, 0);
    }

    [Fact]
    public async Task ACancelAskedForAJobWhoseWorkerDiedIsFinishedByTheSweeper()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user);
        await DrainAsync(app);
        await LeaveClaimedAsync(app, userId, jobId, attempts: 1);
        (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);

        app.Time.Advance(TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds + 1));
        Assert.Equal(1, (await app.Sweeper.SweepAsync(CancellationToken.None)).Failed);
        Assert.Equal(JobStates.Canceled, (await app.Jobs.GetAsync(userId, jobId, CancellationToken.None)).State);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Equal(0, app.Model.Calls);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>Receives the job's message and processes it as a queue consumer would.</summary>
    private static async Task DeliverAsync(App app, string jobId)
    {
        var lease = await app.Queue.ReceiveAsync(JobSpecs.QueueOf(ModelNames.Gfpgan), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        Assert.Equal(jobId, lease.Message.Id);
        Assert.True((await app.Processor.ProcessAsync(lease.Message, null, CancellationToken.None)).IsDone);
        Assert.True(await app.Queue.CompleteAsync(lease));
    }

    private static async Task DrainAsync(App app)
    {
        while (await app.Queue.ReceiveAsync(JobSpecs.QueueOf(ModelNames.Gfpgan), TimeSpan.FromMinutes(5), TimeSpan.Zero) is { } lease)
            await app.Queue.CompleteAsync(lease);
    }

    private static async Task LeaveClaimedAsync(App app, string userId, string jobId, int attempts)
    {
        var row = (await app.Store.GetAsync(JobsService.UsersTable, userId, JobRecord.RowKey(jobId)))!;
        var now = app.Time.GetUtcNow();
        await app.Store.MergeAsync(JobsService.UsersTable, new TableEntity(userId, JobRecord.RowKey(jobId))
            .With("state", JobStates.Running).With("claim", $"claim_dead{attempts}").With("attempts", (long)attempts)
            .With("started_at", now).With("lease_until", now + TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds)), row.ETag!);
    }

    private static async Task<List<ActiveJobEntry>> ListIndexAsync(App app)
    {
        var entries = new List<ActiveJobEntry>();
        await foreach (var e in app.Services.GetRequiredService<ActiveJobIndex>().ListAsync(CancellationToken.None)) entries.Add(e);
        return entries;
    }

    /// <summary>
    /// Moves the fake clock on by <paramref name="total"/> in steps of a sixth of the lease, letting each
    /// heartbeat's renewal land before the next step.
    /// </summary>
    private static async Task AdvanceWithBeatsAsync(App app, string userId, string jobId, TimeSpan total)
    {
        var step = TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds) / 6;
        for (var moved = TimeSpan.Zero; moved < total; moved += step)
        {
            app.Time.Advance(step);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (DateTime.UtcNow < deadline &&
                   (await app.Jobs.GetAsync(userId, jobId, CancellationToken.None)).LeaseUntil - app.Time.GetUtcNow() <
                   TimeSpan.FromSeconds(app.Jobs.Options.LeaseSeconds) / 2)
                await Task.Delay(20);
        }
    }

    private static async Task AssertMoneyAsync(App app, string userId, long balance, long reserved)
    {
        Assert.Equal(new CreditBalance(balance, reserved), await app.Credits.GetBalanceAsync(userId, CancellationToken.None));
        var ledger = await app.Credits.GetLedgerAsync(userId, Wati.Platform.Common.PageRequest.Create(1, 100), CancellationToken.None);
        Assert.Equal(balance, ledger.Items.Sum(e => e.Amount));
    }
}
