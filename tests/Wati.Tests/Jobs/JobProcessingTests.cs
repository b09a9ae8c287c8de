using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
/// Job processing against the real host (SQLite tables and queue, file store) with a scripted model
/// provider. The queue worker and the sweeper are not started: each test receives the message itself
/// and drives <see cref="JobProcessor.ProcessAsync"/>.
/// </summary>
public sealed class JobProcessingTests : IClassFixture<JobProcessingTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Models:MaxRetries"] = "0",
        ["Wati:Models:RetryBaseDelayMs"] = "1",
        ["Wati:Jobs:MaxAttempts"] = "2",
        // Two workers of this process run at once in the takeover tests.
        ["Wati:Models:MaxConcurrentRuns"] = "2",
    })
    {
        public FakeModelProvider Model { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                s.UseModel(Model).StopWorkers(typeof(QueuePump), typeof(PeriodicRunner));
            });
        }
    }

    private const long StartBalance = 10; // the factory's signup bonus
    private const long GfpganPrice = 1;

    private readonly App _app;
    private readonly ApiClient _api;
    private readonly FakeModelProvider _model;
    private readonly JobProcessor _processor;
    private readonly SqliteJobQueue _queue;
    private readonly ITableStore _store;
    private readonly IObjectStore _objects;
    private readonly CreditsService _credits;
    private readonly JobsService _jobs;

    public JobProcessingTests(App app)
    {
        _app = app;
        _api = app.Api();
        _model = app.Model;
        _model.Reset();
        _processor = app.Services.GetRequiredService<JobProcessor>();
        _queue = app.Services.GetRequiredService<SqliteJobQueue>();
        _store = app.Services.GetRequiredService<ITableStore>();
        _objects = app.Services.GetRequiredService<IObjectStore>();
        _credits = app.Services.GetRequiredService<CreditsService>();
        _jobs = app.Services.GetRequiredService<JobsService>();
    }

    // ---- 1. success -------------------------------------------------------------------------------

    [Fact]
    public async Task SuccessStoresOutputsAndSettlesTheChargeOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: GfpganPrice);
        Assert.Equal(JobStates.Queued, (await GetJobAsync(user, jobId)).GetProperty("state").GetString());

        _model.Next(FakeModelProvider.Succeed(width: 6, height: 4));
        var lease = await ReceiveAsync(jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(lease));

        Assert.Equal(1, _model.Calls);
        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.False(job.Refunded);
        Assert.Null(job.LeaseUntil);
        Assert.NotNull(job.FinishedAt);
        Assert.Equal(1, job.Attempts);
        Assert.NotNull(job.ModelMs);
        var output = Assert.Single(job.Outputs);
        Assert.Equal((6, 4, "image/png"), (output.Width, output.Height, output.ContentType));
        Assert.Equal(FakeModelProvider.OutputBytes(), await ReadObjectAsync(output.Key));

        var view = await GetJobAsync(user, jobId);
        Assert.Equal("succeeded", view.GetProperty("state").GetString());
        Assert.Equal(output.Key, view.GetProperty("key").GetString());
        Assert.False(view.TryGetProperty("error", out _));

        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);
    }

    // ---- 2. input error ---------------------------------------------------------------------------

    [Fact]
    public async Task InputErrorFailsAtOnceAndRefundsExactlyOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);

        _model.Next(FakeModelProvider.RejectInput("bad"));
        var lease = await ReceiveAsync(jobId);
        // Not the last delivery, yet the input error is final: no throw, no retry.
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(lease));
        Assert.Equal(1, _model.Calls);

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Failed, job.State);
        Assert.True(job.Refunded);
        Assert.Equal(400, job.ErrorStatus);
        Assert.Empty(job.Outputs);

        var view = await GetJobAsync(user, jobId);
        Assert.Equal("failed", view.GetProperty("state").GetString());
        var error = view.GetProperty("error");
        Assert.Equal("PROCESSING_ERROR", error.GetProperty("code").GetString());
        Assert.Contains("bad", error.GetProperty("message").GetString());
        Assert.Equal("0", view.GetProperty("credits_charged").ToString());

        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);

        // A redelivery of the failed job's message refunds nothing more.
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.Equal(1, _model.Calls);
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    // ---- 3. transient failure ---------------------------------------------------------------------

    [Fact]
    public async Task TransientFailureGoesBackToTheQueueThenFailsAndRefundsOnceOnTheLastAttempt()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);

        _model.Next(FakeModelProvider.Transient("busy"), FakeModelProvider.Transient("still busy"));
        var first = await ReceiveAsync(jobId);
        Assert.Equal(1, first.DeliveryCount);
        var outcome = await _processor.ProcessAsync(first.Message, null, CancellationToken.None);
        Assert.False(outcome.IsDone);
        Assert.True(outcome.RetryAfter > TimeSpan.Zero);
        Assert.True(await _queue.RescheduleAsync(first, TimeSpan.Zero));

        // Back in the queue, still charged and held, nothing refunded; the attempt is counted on the job.
        var held = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Queued, held.State);
        Assert.Equal(1, held.Attempts);
        Assert.Null(held.LeaseUntil);
        Assert.False(held.Refunded);
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: GfpganPrice);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);

        // The rescheduled message is fresh: its deliveries start again.
        var second = await ReceiveAsync(jobId);
        Assert.Equal(1, second.DeliveryCount);
        Assert.Equal(2, second.Message.Attempt);
        Assert.True((await _processor.ProcessAsync(second.Message, null, CancellationToken.None)).IsDone);
        Assert.True(await _queue.CompleteAsync(second));
        Assert.Equal(2, _model.Calls);

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Failed, job.State);
        Assert.True(job.Refunded);
        Assert.Equal(500, job.ErrorStatus);
        Assert.Equal(2, job.Attempts);
        Assert.Contains("still busy", (await GetJobAsync(user, jobId)).GetProperty("error").GetProperty("message").GetString());
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    [Fact]
    public async Task TransientFailureThenSuccessChargesOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);

        _model.Next(FakeModelProvider.Transient(), FakeModelProvider.Succeed());
        var first = await ReceiveAsync(jobId);
        Assert.False((await _processor.ProcessAsync(first.Message, null, CancellationToken.None)).IsDone);
        Assert.True(await _queue.RescheduleAsync(first, TimeSpan.Zero));

        var second = await ReceiveAsync(jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(second.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(second));

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.NotNull(await ReadObjectAsync(Assert.Single(job.Outputs).Key));
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);
    }

    [Fact]
    public async Task AThrottledRunDoesNotSpendAnAttempt()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);

        _model.Next(FakeModelProvider.Throttled(TimeSpan.FromSeconds(7)), FakeModelProvider.Throttled(TimeSpan.FromSeconds(7)),
            FakeModelProvider.Throttled(TimeSpan.FromSeconds(7)), FakeModelProvider.Succeed());
        for (var i = 0; i < 3; i++)
        {
            var lease = await ReceiveAsync(jobId);
            var outcome = await _processor.ProcessAsync(lease.Message, null, CancellationToken.None);
            Assert.Equal(TimeSpan.FromSeconds(7), outcome.RetryAfter);
            Assert.True(await _queue.RescheduleAsync(lease, TimeSpan.Zero));
        }
        var throttled = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Queued, 0, 3), (throttled.State, throttled.Attempts, throttled.Throttles));

        var last = await ReceiveAsync(jobId);
        Assert.True((await _processor.ProcessAsync(last.Message, null, CancellationToken.None)).IsDone);
        Assert.Equal(JobStates.Succeeded, (await _jobs.GetAsync(userId, jobId, CancellationToken.None)).State);
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);
    }

    // ---- 4. redelivery of a finished job ----------------------------------------------------------

    [Fact]
    public async Task RedeliveringASucceededJobsMessageChangesNothing()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);

        _model.Next(FakeModelProvider.Succeed(seed: 1), FakeModelProvider.Succeed(seed: 2));
        var lease = await ReceiveAsync(jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        var before = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        var key = Assert.Single(before.Outputs).Key;

        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(lease));

        Assert.Equal(1, _model.Calls);
        var after = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(JobStates.Succeeded, after.State);
        Assert.Equal(FakeModelProvider.OutputBytes(seed: 1), await ReadObjectAsync(key));
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);
    }

    // ---- 5. crash recovery ------------------------------------------------------------------------

    [Fact]
    public async Task AWorkerStoppedByItsHostGivesTheJobBackAtOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var lease = await ReceiveAsync(jobId);

        var gate = new FakeModelProvider.Gate();
        _model.Next(FakeModelProvider.Block(gate, FakeModelProvider.Succeed()), FakeModelProvider.Succeed(seed: 3));
        using var stop = new CancellationTokenSource();
        var stopping = _processor.ProcessAsync(lease.Message, null, stop.Token);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(JobStates.Running, (await _jobs.GetAsync(userId, jobId, CancellationToken.None)).State);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopping);

        var back = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Queued, 0), (back.State, back.Attempts));
        Assert.True((await _processor.ProcessAsync(lease.Message, null, CancellationToken.None)).IsDone);
        Assert.True(await _queue.CompleteAsync(lease));
        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Succeeded, 1), (job.State, job.Attempts));
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
    }

    [Fact]
    public async Task AJobWhoseWorkerDiedIsTakenOverOnceTheLeasePassesAndFinishesOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var lease = await ReceiveAsync(jobId);

        // A worker claimed the job and died (the process is gone: its lease stays until it runs out).
        await CrashedWorkerHoldsAsync(userId, jobId, TimeSpan.FromMinutes(1));
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: GfpganPrice);

        // While its lease runs, a delivery leaves the job alone and is done with: the sweeper owns what follows.
        _model.Next(FakeModelProvider.Succeed(seed: 3));
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.Equal(0, _model.Calls);

        await ExpireLeaseAsync(userId, jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(lease));

        Assert.Equal(1, _model.Calls);
        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.Equal(2, job.Attempts);
        Assert.Equal(FakeModelProvider.OutputBytes(seed: 3), await ReadObjectAsync(Assert.Single(job.Outputs).Key));
        await AssertMoneyAsync(user, userId, StartBalance - GfpganPrice, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 0);
    }

    [Fact]
    public async Task AWorkerLostOnTheLastAttemptFailsTheJobAndRefundsOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var lease = await ReceiveAsync(jobId);

        await CrashedWorkerHoldsAsync(userId, jobId, TimeSpan.FromSeconds(-1), attempts: 2);
        Assert.True((await _processor.ProcessAsync(lease.Message, null, CancellationToken.None)).IsDone);
        Assert.True((await _processor.ProcessAsync(lease.Message, null, CancellationToken.None)).IsDone);
        Assert.True(await _queue.CompleteAsync(lease));

        Assert.Equal(0, _model.Calls);
        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Failed, true), (job.State, job.Refunded));
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    [Fact]
    public async Task ADeadLetteredMessageFailsItsJobAndRefundsExactlyOnce()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var lease = await ReceiveAsync(jobId);
        await CrashedWorkerHoldsAsync(userId, jobId, TimeSpan.FromMinutes(1));
        Assert.True(await _queue.DeadLetterAsync(lease, "test"));
        var letter = Assert.Single(await _queue.ReceiveDeadLettersAsync(JobSpecs.QueueOf(ModelNames.Gfpgan)), l => l.Message.Id == jobId);

        // A live worker still holds the job: the hook leaves it to that worker (or to the sweeper).
        await _processor.HandleDeadLetterAsync(letter.Message, letter.Reason, CancellationToken.None);
        Assert.Equal(JobStates.Running, (await _jobs.GetAsync(userId, jobId, CancellationToken.None)).State);

        await ExpireLeaseAsync(userId, jobId);
        await _processor.HandleDeadLetterAsync(letter.Message, letter.Reason, CancellationToken.None);
        await _processor.HandleDeadLetterAsync(letter.Message, letter.Reason, CancellationToken.None);
        await _queue.AcknowledgeDeadLetterAsync(letter);
        Assert.DoesNotContain(await _queue.ReceiveDeadLettersAsync(JobSpecs.QueueOf(ModelNames.Gfpgan)), l => l.Message.Id == jobId);
        Assert.Contains(await _queue.GetDeadLettersAsync(JobSpecs.QueueOf(ModelNames.Gfpgan)), l => l.Message?.Id == jobId);
        var listed = (await (await _api.AdminAsync()).GetAsync("/v1/admin/jobs/dead-letters?model=gfpgan&page_size=100")).Expect(200);
        Assert.Contains(listed.Data.GetProperty("items").EnumerateArray(), i => i.GetProperty("job_id").GetString() == jobId);

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal((JobStates.Failed, true), (job.State, job.Refunded));
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    [Fact]
    public async Task AWorkerThatLostItsLeaseCannotFinishTheJobAgain()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var lease = await ReceiveAsync(jobId);

        // Worker A stalls past its lease; worker B takes the job over and fails it for good.
        var gate = new FakeModelProvider.Gate();
        _model.Next(FakeModelProvider.Block(gate, FakeModelProvider.Succeed(seed: 4)), FakeModelProvider.RejectInput("rejected by B"));
        var slow = _processor.ProcessAsync(lease.Message, null, CancellationToken.None);
        await gate.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await ExpireLeaseAsync(userId, jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));

        // A wakes up with a result: it must neither settle nor keep its output.
        gate.Release();
        Assert.Equal(ProcessOutcome.Done, await slow.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await _queue.CompleteAsync(lease));

        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Failed, job.State);
        Assert.True(job.Refunded);
        Assert.Empty(job.Outputs);
        var strayKey = JobSpecs.OutputKey(job.Model, job.Params, jobId, 0, "png");
        Assert.Null(await ReadObjectAsync(strayKey));
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    // ---- 6. never charged -------------------------------------------------------------------------

    [Fact]
    public async Task AMessageWithoutAJobIsDoneWithoutSideEffects()
    {
        var (user, userId) = await _api.NewUserAsync();

        // No lookup row at all.
        Assert.Equal(ProcessOutcome.Done,
            await _processor.ProcessAsync(new QueueMessage("job_neverexisted00", ModelNames.Gfpgan), null, CancellationToken.None));

        // A lookup row whose charge has not happened (yet): messages are sent only after the charge, so
        // this message is not the job's, and the sweeper owns the submit.
        var pending = "job_pending" + Guid.NewGuid().ToString("N");
        await _store.InsertAsync(JobsService.LookupTable, new TableEntity(pending, JobsService.LookupRow)
            .With("user_id", userId).With("created_at", DateTimeOffset.UtcNow));
        Assert.Equal(ProcessOutcome.Done,
            await _processor.ProcessAsync(new QueueMessage(pending, ModelNames.Gfpgan), null, CancellationToken.None));

        Assert.Equal(0, _model.Calls);
        Assert.Null(await _jobs.FindAsync(userId, pending, CancellationToken.None));
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        var ledger = await LedgerAsync(user);
        Assert.Equal("grant", Assert.Single(ledger).GetProperty("kind").GetString());
    }

    // ---- 7. cancel while queued -------------------------------------------------------------------

    [Fact]
    public async Task CancelingAQueuedJobRefundsAndItsMessageThenDoesNothing()
    {
        var (user, userId) = await _api.NewUserAsync();
        var jobId = await JobSubmits.GfpganAsync(user, scale: 2);
        var inputs = (await _jobs.GetAsync(userId, jobId, CancellationToken.None)).Inputs.Values.ToList();
        Assert.NotEmpty(inputs);

        var canceled = (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);
        Assert.Equal("canceled", canceled.Data.GetProperty("state").GetString());
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
        foreach (var key in inputs) Assert.Null(await ReadObjectAsync(key));

        var lease = await ReceiveAsync(jobId);
        Assert.Equal(ProcessOutcome.Done, await _processor.ProcessAsync(lease.Message, null, CancellationToken.None));
        Assert.True(await _queue.CompleteAsync(lease));

        Assert.Equal(0, _model.Calls);
        var job = await _jobs.GetAsync(userId, jobId, CancellationToken.None);
        Assert.Equal(JobStates.Canceled, job.State);
        Assert.Empty(job.Outputs);
        Assert.Equal(0, job.Attempts);
        await AssertMoneyAsync(user, userId, StartBalance, reserved: 0);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);

        // Deleting again is harmless and refunds nothing more.
        (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);
        await AssertLedgerForJobAsync(user, jobId, charges: 1, refunds: 1);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>
    /// Leases the job's message. Tests run one at a time per class, so any other message is a leftover of
    /// an earlier test and is removed.
    /// </summary>
    private async Task<QueueLease> ReceiveAsync(string jobId, string model = ModelNames.Gfpgan)
    {
        for (var i = 0; i < 50; i++)
        {
            var lease = await _queue.ReceiveAsync(JobSpecs.QueueOf(model), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2));
            Assert.NotNull(lease);
            if (lease.Message.Id == jobId) return lease;
            await _queue.CompleteAsync(lease);
        }
        throw new InvalidOperationException($"no message for {jobId}");
    }

    /// <summary>Makes the job look claimed by a worker that died: running, another claim, lease until now + <paramref name="left"/>.</summary>
    private async Task CrashedWorkerHoldsAsync(string userId, string jobId, TimeSpan left, int attempts = 1)
    {
        var row = await _store.GetAsync(JobsService.UsersTable, userId, JobRecord.RowKey(jobId));
        Assert.NotNull(row);
        Assert.Equal(JobStates.Queued, row.GetString("state"));
        await _store.MergeAsync(JobsService.UsersTable, new TableEntity(userId, JobRecord.RowKey(jobId))
            .With("state", JobStates.Running).With("claim", "claim_dead").With("attempts", (long)attempts)
            .With("started_at", DateTimeOffset.UtcNow).With("lease_until", DateTimeOffset.UtcNow + left), row.ETag ?? "*");
    }

    /// <summary>Moves the running job's lease into the past, as if the time it was granted for had gone by.</summary>
    private async Task ExpireLeaseAsync(string userId, string jobId)
    {
        var row = await _store.GetAsync(JobsService.UsersTable, userId, JobRecord.RowKey(jobId));
        Assert.NotNull(row);
        Assert.Equal(JobStates.Running, row.GetString("state"));
        await _store.MergeAsync(JobsService.UsersTable, new TableEntity(userId, JobRecord.RowKey(jobId))
            .With("lease_until", DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1)), row.ETag ?? "*");
    }

    private async Task<byte[]?> ReadObjectAsync(string key)
    {
        await using var stored = await _objects.GetAsync(key);
        if (stored is null) return null;
        using var buffer = new MemoryStream();
        await stored.Content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<JsonElement> GetJobAsync(ApiClient user, string jobId) =>
        (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200).Data;

    private static async Task<List<JsonElement>> LedgerAsync(ApiClient user)
    {
        var r = (await user.GetAsync("/v1/credits/ledger?page_size=100")).Expect(200);
        return r.Data.GetProperty("items").EnumerateArray().ToList();
    }

    private static long Long(JsonElement e) => e.ValueKind == JsonValueKind.String ? long.Parse(e.GetString()!) : e.GetInt64();

    /// <summary>Balance and reserved through the API and the service, and the ledger summing to the balance.</summary>
    private async Task AssertMoneyAsync(ApiClient user, string userId, long balance, long reserved)
    {
        var api = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        Assert.Equal((balance, reserved), (Long(api.GetProperty("balance")), Long(api.GetProperty("reserved"))));
        Assert.Equal(new CreditBalance(balance, reserved), await _credits.GetBalanceAsync(userId, CancellationToken.None));
        var ledger = await LedgerAsync(user);
        Assert.Equal(balance, ledger.Sum(e => Long(e.GetProperty("amount"))));
        Assert.Equal(balance, Long(ledger[0].GetProperty("balance_after")));
    }

    private static async Task AssertLedgerForJobAsync(ApiClient user, string jobId, int charges, int refunds)
    {
        var entries = (await LedgerAsync(user))
            .Where(e => e.TryGetProperty("job_id", out var j) && j.ValueKind == JsonValueKind.String && j.GetString() == jobId).ToList();
        Assert.Equal(charges, entries.Count(e => e.GetProperty("kind").GetString() == "charge"));
        Assert.Equal(refunds, entries.Count(e => e.GetProperty("kind").GetString() == "refund"));
        Assert.Equal(charges + refunds, entries.Count);
        Assert.All(entries.Where(e => e.GetProperty("kind").GetString() == "charge"), e => Assert.Equal(-GfpganPrice, Long(e.GetProperty("amount"))));
        Assert.All(entries.Where(e => e.GetProperty("kind").GetString() == "refund"), e => Assert.Equal(GfpganPrice, Long(e.GetProperty("amount"))));
    }
}
