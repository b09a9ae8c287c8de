using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Wati.Platform.Batches;
using Wati.Platform.Webhooks;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Storage;
using Wati.Tests.Jobs;
using Wati.Tests.Support;

namespace Wati.Tests.Batches;

/// <summary>
/// The batch money scheme (docs/decisions/0009-batches.md) step by step: no queue consumers run; the
/// test calls the feeder and the processor itself, and a scripted store stops a write at a chosen
/// point, so every interleaving is taken on purpose. After each: balance == ledger sum, reserved as held.
/// </summary>
public sealed class BatchMoneyTests
{
    private const long Bonus = 200;

    private sealed class App(int maxActive) : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Credits:SignupBonus"] = Bonus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Wati:Jobs:MaxActivePerUser"] = maxActive.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Wati:Webhooks:AllowLoopback"] = "true",
    })
    {
        public FakeModelProvider Model { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                s.UseModel(Model)
                    .StopWorkers(typeof(QueuePump), typeof(PeriodicRunner));
                s.Decorate<ITableStore>(inner => new ScriptedTableStore(inner));
                s.Decorate<IJobQueueProducer>(inner => new ScriptedProducer(inner));
            });
        }

        public ScriptedTableStore Store => (ScriptedTableStore)Services.GetRequiredService<ITableStore>();
        public ScriptedProducer Producer => (ScriptedProducer)Services.GetRequiredService<IJobQueueProducer>();
        public BatchFeeder Feeder => Services.GetRequiredService<BatchFeeder>();
        public BatchesService Batches => Services.GetRequiredService<BatchesService>();
        public JobProcessor Processor => Services.GetRequiredService<JobProcessor>();

        /// <summary>A second process: the same store, its own credits service (and so its own in-process lock).</summary>
        public BatchesService OtherProcessBatches()
        {
            var sp = Services;
            var credits = new CreditsService(Store, sp.GetRequiredService<IIdGenerator>(), TimeProvider.System,
                sp.GetRequiredService<IOptions<CreditsOptions>>(), new KeyedLock());
            return new BatchesService(Store, sp.GetRequiredService<IObjectStore>(), sp.GetRequiredService<IJobQueueProducer>(), credits,
                sp.GetRequiredService<BatchValidator>(), sp.GetRequiredService<IIdGenerator>(), TimeProvider.System,
                sp.GetRequiredService<IOptions<JobsOptions>>(), sp.GetRequiredService<Wati.Platform.Webhooks.WebhookSender>(),
                NullLogger<BatchesService>.Instance);
        }
    }

    private static async Task<string> UploadAsync(ApiClient user)
    {
        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(TinyImages.Png(4, 4));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "file", "face.png");
        return (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201).Data.GetProperty("items")[0].GetProperty("id").GetString()!;
    }

    private static async Task<string> SubmitAsync(ApiClient user, string upload, int count)
    {
        var items = Enumerable.Range(0, count).Select(i => new { inputs = new { image = upload }, @params = new { scale = 1 }, @ref = $"r{i}" });
        return (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", items })).Expect(202).Data.GetProperty("id").GetString()!;
    }

    private static async Task<List<TableEntity>> RowsAsync(App app, string userId, string prefix) =>
        (await app.Store.QueryAsync(TableNames.Users, TableQuery.Prefix(userId, prefix))).Items.ToList();

    /// <summary>balance == ledger sum, reserved as expected; answers the ledger (newest first).</summary>
    private static async Task<List<TableEntity>> AssertMoneyAsync(App app, string userId, long balance, long reserved)
    {
        var account = (await app.Store.GetAsync(TableNames.Users, userId, "account"))!;
        var ledger = await RowsAsync(app, userId, "ledger|");
        Assert.Equal(balance, account.GetInt64("balance"));
        Assert.Equal(reserved, account.GetInt64("reserved"));
        Assert.Equal(balance, ledger.Sum(l => l.GetInt64("amount") ?? 0));
        return ledger;
    }

    [Fact]
    public async Task AReservationMovesTheTotalToAHoldAndFeedingMovesSharesIntoJobChargesWithinTheLimit()
    {
        using var app = new App(maxActive: 2);
        var (user, userId) = await app.Api().NewUserAsync();
        var batchId = await SubmitAsync(user, await UploadAsync(user), 5);

        var ledger = await AssertMoneyAsync(app, userId, Bonus - 5, 5);
        Assert.Equal(-5, ledger.Single(l => l.GetString("kind") == "charge").GetInt64("amount"));
        Assert.Equal(5, await app.Services.GetRequiredService<CreditsService>().HoldRemainingAsync(userId, batchId, default));

        var outcome = await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default);
        Assert.False(outcome.IsDone);
        Assert.Equal(3, await app.Services.GetRequiredService<CreditsService>().HoldRemainingAsync(userId, batchId, default));
        Assert.Equal(2, (await RowsAsync(app, userId, "jobcharge|")).Count);
        Assert.Equal(2, (await app.Store.GetAsync(TableNames.Users, userId, "account"))!.GetInt64("active_jobs"));
        // Feeding moves money between holds only: no ledger row, same balance and reserved.
        Assert.Single(await AssertMoneyAsync(app, userId, Bonus - 5, 5), l => l.GetString("kind") == "charge");
    }

    [Fact]
    public async Task ACanceledBatchRefundsExactlyWhatDidNotRun()
    {
        using var app = new App(maxActive: 2);
        var (user, userId) = await app.Api().NewUserAsync();
        var batchId = await SubmitAsync(user, await UploadAsync(user), 10);
        await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default);
        var fed = (await RowsAsync(app, userId, "jobcharge|")).Select(r => r.RowKey["jobcharge|".Length..]).ToList();
        Assert.Equal(2, fed.Count);

        // One fed item runs and succeeds; the other stays queued; eight were never fed.
        app.Model.Next(FakeModelProvider.Succeed());
        Assert.True((await app.Processor.ProcessAsync(new QueueMessage(fed[0], ModelNames.Gfpgan), null, default)).IsDone);
        var canceled = (await user.DeleteAsync($"/v1/batches/{batchId}")).Expect(200);
        Assert.True(canceled.Data.GetProperty("canceled").GetBoolean());

        Assert.True((await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default)).IsDone);
        var view = (await user.GetAsync($"/v1/batches/{batchId}")).Expect(200).Data;
        Assert.Equal("completed", view.GetProperty("state").GetString());
        Assert.Equal((1, 9), (view.GetProperty("counts").GetProperty("succeeded").GetInt32(), view.GetProperty("counts").GetProperty("canceled").GetInt32()));
        Assert.Equal(("1", "9"), (view.GetProperty("credits_charged").GetString(), view.GetProperty("credits_refunded").GetString()));
        var ledger = await AssertMoneyAsync(app, userId, Bonus - 1, 0);
        Assert.Equal(9, ledger.Where(l => l.GetString("kind") == "refund").Sum(l => l.GetInt64("amount") ?? 0));
        Assert.Equal(1, app.Model.Calls);
    }

    [Fact]
    public async Task ACancelInAnotherProcessWhileAnItemIsBeingChargedWinsAndNothingIsChargedTwice()
    {
        using var app = new App(maxActive: 50);
        var (user, userId) = await app.Api().NewUserAsync();
        var batchId = await SubmitAsync(user, await UploadAsync(user), 3);
        var atCharge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var paused = 0;
        // Stop the feeder just before the first item's charge (the batch that inserts a job charge marker).
        app.Store.BeforeBatch = async (_, ops) =>
        {
            if (ops.Any(o => o.Entity.RowKey.StartsWith("jobcharge|", StringComparison.Ordinal)) && Interlocked.Increment(ref paused) == 1)
            {
                atCharge.TrySetResult();
                await release.Task;
            }
        };

        var feeding = app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default);
        await atCharge.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await app.OtherProcessBatches().CancelAsync(userId, batchId, app.Services.GetRequiredService<JobsService>(), default);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        release.SetResult();
        await feeding;

        // The stalled charge met a changed hold and item, re-read them, and declined: no job, no marker.
        Assert.Empty(await RowsAsync(app, userId, "jobcharge|"));
        Assert.Empty(await RowsAsync(app, userId, JobRecord.RowPrefix));
        Assert.True((await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default)).IsDone);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Equal(0, (await app.Store.GetAsync(TableNames.Users, userId, "account"))!.GetInt64("active_jobs"));
    }

    private static bool Writes(IReadOnlyList<TableOperation> ops, string rowPrefix) =>
        ops.Any(o => o.Entity.RowKey.StartsWith(rowPrefix, StringComparison.Ordinal));

    private static Task<ApiResponse> SubmitWithKeyAsync(ApiClient user, string upload, int count, string key) =>
        user.SendAsync(HttpMethod.Post, "/v1/batches", new StringContent(System.Text.Json.JsonSerializer.Serialize(new
        {
            model = "gfpgan",
            items = Enumerable.Range(0, count).Select(i => new { inputs = new { image = upload }, @params = new { scale = 1 }, @ref = $"r{i}" }),
        }), System.Text.Encoding.UTF8, "application/json"), r => r.Headers.Add("Idempotency-Key", key));

    /// <summary>
    /// Field report (issue 17): a submit whose item rows could not be written after the reservation answered
    /// 500 with the credits still reserved and the feeder stuck. Now the failure releases the whole
    /// reservation before the error answer, frees the Idempotency-Key, and the feeder completes the batch
    /// as canceled once it can.
    /// </summary>
    [Fact]
    public async Task ASubmitThatFailsWritingItsItemsAfterTheReservationReleasesItExactly()
    {
        using var app = new App(maxActive: 50);
        var (user, userId) = await app.Api().NewUserAsync();
        var upload = await UploadAsync(user);
        app.Store.BeforeBatch = (_, ops) => Writes(ops, BatchRows.ItemPrefix) ? throw new IOException("item rows refused") : Task.CompletedTask;

        var failed = await SubmitWithKeyAsync(user, upload, 2, "order-7");

        Assert.True(failed.Code >= 500, failed.Body);
        var ledger = await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Equal((-2L, 2L), (ledger.Single(l => l.GetString("kind") == "charge").GetInt64("amount") ?? 0,
            ledger.Single(l => l.GetString("kind") == "refund").GetInt64("amount") ?? 0));
        var batch = Assert.Single(await RowsAsync(app, userId, BatchRows.RowPrefix), r => !r.RowKey.StartsWith(BatchRows.ItemPrefix, StringComparison.Ordinal));
        Assert.True(batch.GetBool("canceled"));

        // Once the store writes again, the feeder finishes the canceled batch: completed, nothing charged.
        app.Store.BeforeBatch = null;
        var batchId = batch.RowKey[BatchRows.RowPrefix.Length..];
        Assert.True((await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default)).IsDone);
        var view = (await user.GetAsync($"/v1/batches/{batchId}")).Expect(200).Data;
        Assert.Equal(("completed", 2), (view.GetProperty("state").GetString(), view.GetProperty("counts").GetProperty("canceled").GetInt32()));
        await AssertMoneyAsync(app, userId, Bonus, 0);

        // The key was freed with the release: the retry is a new batch, charged once.
        var retried = (await SubmitWithKeyAsync(user, upload, 2, "order-7")).Expect(202);
        Assert.NotEqual(batchId, retried.Data.GetProperty("id").GetString());
        await AssertMoneyAsync(app, userId, Bonus - 2, 2);
    }

    [Fact]
    public async Task ASubmitWhoseBatchMessageCannotBeSentReleasesItsReservation()
    {
        using var app = new App(maxActive: 50);
        var (user, userId) = await app.Api().NewUserAsync();
        var upload = await UploadAsync(user);
        var refused = 0;
        // The first send (the submit's) fails; the release's own message then goes through.
        app.Producer.BeforeEnqueue = (queue, _) =>
            queue == BatchesService.Queue && Interlocked.Increment(ref refused) == 1 ? throw new IOException("queue down") : Task.CompletedTask;

        var failed = await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan", items = new[] { new { inputs = new { image = upload }, @params = new { scale = 1 } } },
        });

        Assert.True(failed.Code >= 500, failed.Body);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        Assert.Equal(2, refused);
    }

    /// <summary>The reservation commits but its answer is lost: the submit must not delete the rows the feeder needs and strand the hold.</summary>
    [Fact]
    public async Task AReservationWhoseAnswerIsLostAfterItsCommitIsReleasedNotStranded()
    {
        using var app = new App(maxActive: 50);
        var (user, userId) = await app.Api().NewUserAsync();
        var upload = await UploadAsync(user);
        var lost = 0;
        app.Store.AfterBatch = (_, ops) =>
            Writes(ops, CreditsService.HoldRow("")) && Interlocked.Increment(ref lost) == 1 ? throw new IOException("answer lost") : Task.CompletedTask;

        var failed = await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan", items = new[] { new { inputs = new { image = upload }, @params = new { scale = 1 } } },
        });

        Assert.True(failed.Code >= 500, failed.Body);
        await AssertMoneyAsync(app, userId, Bonus, 0);
        app.Store.AfterBatch = null;
        var batchId = Assert.Single(await RowsAsync(app, userId, BatchRows.RowPrefix)).RowKey[BatchRows.RowPrefix.Length..];
        Assert.True((await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default)).IsDone);
        await AssertMoneyAsync(app, userId, Bonus, 0);
    }

    /// <summary>
    /// When even the release fails (the store refuses it too), the batch is left as after a crash: reserved,
    /// and the batch sweep and the feeder complete it from its spec object.
    /// </summary>
    [Fact]
    public async Task ASubmitWhoseReleaseFailsTooIsCompletedByTheFeederFromItsSpec()
    {
        using var app = new App(maxActive: 50);
        var (user, userId) = await app.Api().NewUserAsync();
        var upload = await UploadAsync(user);
        // Reserved, then nothing more is written: no item rows, no release, no message.
        var reserved = false;
        app.Store.BeforeBatch = (_, ops) =>
        {
            if (reserved) throw new IOException("gone after the reservation");
            reserved = Writes(ops, CreditsService.HoldRow(""));
            return Task.CompletedTask;
        };
        Assert.True((await SubmitWithKeyAsync(user, upload, 120, "k-120")).Code >= 500);
        app.Store.BeforeBatch = null;
        Assert.Empty(await RowsAsync(app, userId, BatchRows.ItemPrefix));
        await AssertMoneyAsync(app, userId, Bonus - 120, 120);
        var batchId = Assert.Single(await RowsAsync(app, userId, BatchRows.RowPrefix)).RowKey[BatchRows.RowPrefix.Length..];

        // The sweep sends its message; the feeder writes all 120 items (two chunks) and feeds up to the limit.
        Assert.Equal(1, await app.Batches.SweepAsync(TimeSpan.Zero, default));
        Assert.False((await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default)).IsDone);
        Assert.Equal(120, (await RowsAsync(app, userId, BatchRows.ItemPrefix)).Count);
        Assert.Equal(50, (await RowsAsync(app, userId, "jobcharge|")).Count);
        Assert.Equal(70, await app.Services.GetRequiredService<CreditsService>().HoldRemainingAsync(userId, batchId, default));
        await AssertMoneyAsync(app, userId, Bonus - 120, 120);
    }

    [Fact]
    public async Task AWebhookWhoseMessageWasLostAtCompletionIsSentByTheBatchSweep()
    {
        using var app = new App(maxActive: 5);
        var (user, userId) = await app.Api().NewUserAsync();
        var upload = await UploadAsync(user);
        var batchId = (await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan", webhook_url = "http://127.0.0.1:9/hook",
            items = new[] { new { inputs = new { image = upload }, @params = new { scale = 1 } } },
        })).Expect(202).Data.GetProperty("id").GetString()!;
        await app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default);
        var jobId = (await RowsAsync(app, userId, "jobcharge|")).Single().RowKey["jobcharge|".Length..];
        app.Model.Next(FakeModelProvider.Succeed());
        await app.Processor.ProcessAsync(new QueueMessage(jobId, ModelNames.Gfpgan), null, default);

        // The process "dies" between the completion commit and the webhook's message.
        app.Producer.BeforeEnqueue = (queue, _) => queue == "webhooks" ? throw new IOException("gone") : Task.CompletedTask;
        await Assert.ThrowsAsync<IOException>(() => app.Feeder.ProcessAsync(new QueueMessage(batchId, "batch"), default));
        app.Producer.BeforeEnqueue = null;
        var batch = (await app.Store.GetAsync(TableNames.Users, userId, BatchRows.Row(batchId)))!;
        Assert.Equal("completed", batch.GetString("state"));
        var queue = app.Services.GetRequiredService<SqliteJobQueue>();
        Assert.Null(await queue.ReceiveAsync("webhooks", TimeSpan.FromSeconds(30), TimeSpan.Zero));

        await app.Batches.SweepAsync(TimeSpan.Zero, default);
        var sent = await queue.ReceiveAsync("webhooks", TimeSpan.FromSeconds(30), TimeSpan.Zero);
        Assert.Equal(batch.GetString("webhook_event_id"), sent?.Message.Id);
        await AssertMoneyAsync(app, userId, Bonus - 1, 0);
    }
}
