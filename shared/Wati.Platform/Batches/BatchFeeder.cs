using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;

namespace Wati.Platform.Batches;

/// <summary>
/// Processes one delivery of a batch message (queue <c>batches</c>); the batch rows, not the message,
/// decide, so a redelivery or a duplicate is harmless. It finishes writing items a submit left unwritten,
/// turns pending items into ordinary jobs while the user's active-job limit allows (each charged out of
/// the batch's hold, docs/decisions/0009-batches.md), and marks the batch completed once every item is
/// finished; until then it answers <see cref="ProcessOutcome.Retry"/> so the message comes back.
/// The one entry point every host calls (polling loop here, a queue trigger in Functions).
/// </summary>
public sealed class BatchFeeder(
    ITableStore store,
    IObjectStore objects,
    BatchesService batches,
    JobsService jobService,
    CreditsService credits,
    InputSources sources,
    ActiveJobIndex index,
    IIdGenerator ids,
    TimeProvider time,
    IOptions<JobsOptions> jobs,
    IOptions<BatchesOptions> options,
    IOptions<ModelsOptions> models,
    Models.Catalog.ModelCatalog catalog,
    Webhooks.WebhookSender webhooks,
    ILogger<BatchFeeder> logger) : IQueueHandler
{    /// <summary>The handler of queue <c>batches</c> (docs/decisions/0007): a delivery feeds and follows its batch.</summary>
    Task<ProcessOutcome> IQueueHandler.HandleAsync(QueueMessage message, CancellationToken ct) => ProcessAsync(message, ct);


    private const string Users = TableNames.Users;

    private TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.FeedIntervalMilliseconds);

    /// <summary>Feeds and follows batch <see cref="QueueMessage.Id"/>.</summary>
    /// <returns>Done when the batch is completed or unknown; else Retry after the feed interval.</returns>
    public async Task<ProcessOutcome> ProcessAsync(QueueMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var batchId = message.Id;
        if (await batches.OwnerAsync(batchId, ct) is not { } userId ||
            await store.GetAsync(Users, userId, BatchRows.Row(batchId), ct) is not { } batch ||
            batch.GetString("state") == "completed")
            return ProcessOutcome.Done;

        if (batch.GetBool("items_written") != true) await CompleteWritingAsync(userId, batchId, ct);
        if (batch.GetBool("canceled") == true) await batches.SettleCanceledItemsAsync(userId, batchId, jobService, ct);
        else await FeedAsync(userId, batchId, batch.GetString("model") ?? "", ct);

        return await CompleteIfFinishedAsync(userId, batchId, ct) ? ProcessOutcome.Done : ProcessOutcome.Retry(Interval);
    }

    /// <summary>The dead-letter hook: a batch is never given up while it holds credits, so its message is sent again.</summary>
    public Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct)
    {
        logger.LogWarning("Batch {BatchId}: its message was dead-lettered ({Reason}); sending it again", message.Id, reason);
        return batches.SendAsync(message.Id, Interval, ct);
    }

    private async Task CompleteWritingAsync(string userId, string batchId, CancellationToken ct)
    {
        await using var stored = await objects.GetAsync(BatchesService.SpecKey(batchId), ct)
                                 ?? throw new InvalidOperationException($"batch {batchId} has lost its items object");
        var items = await JsonSerializer.DeserializeAsync<List<BatchItemSpec>>(stored.Content, WatiJson.Options, ct) ?? [];
        logger.LogInformation("Batch {BatchId}: writing the items its submit left unwritten", batchId);
        await batches.WriteItemsAsync(userId, batchId, items, ct);
    }

    private async Task FeedAsync(string userId, string batchId, string model, CancellationToken ct)
    {
        var max = jobs.Value.MaxActivePerUser;
        foreach (var row in (await batches.ReadItemRowsAsync(userId, batchId, ct)).Where(r => r.GetString("state") == ItemStates.Pending))
        {
            if (await credits.ActiveJobsAsync(userId, ct) >= max) return;
            if (await FeedItemAsync(userId, batchId, model, row, max, ct) is ItemChargeOutcome.LimitReached or ItemChargeOutcome.Declined) return;
        }
    }

    /// <summary>
    /// Makes one pending item an ordinary job charged out of the hold; an unusable input fails the item alone,
    /// refunded. Every limit is checked again on the real images (issue 24, finding 3): a URL is sized only
    /// once fetched, so an output over <see cref="ModelsOptions.MaxOutputPixels"/> fails its item here,
    /// before it is charged. No free decode slot (429) leaves the item pending for the next round.
    /// </summary>
    private async Task<ItemChargeOutcome?> FeedItemAsync(string userId, string batchId, string model, TableEntity row, int max,
        CancellationToken ct)
    {
        var item = BatchRows.SpecOf(row);
        var now = time.GetUtcNow();
        var jobId = "job_" + ids.NewDescendingId(now);
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var uploads = new Dictionary<string, Upload>(StringComparer.Ordinal);
            foreach (var (field, reference) in item.Inputs) uploads[field] = await sources.ResolveAsync(userId, field, reference, ct);
            var definition = catalog.Of(model);
            // An image named by the id of a stored one (portrait_id): the id is kept with the params.
            foreach (var (image, id) in definition.Schema.ImageIds)
                if (!uploads.ContainsKey(image) && item.Params.TryGetProperty(id.Name, out var named) && named.GetString() is { } value)
                    uploads[image] = await sources.ResolveStoredAsync(id.StoredImage, id.Name, value, ct) with { Field = image };
            JobSpecs.CheckOutputLimits(new JobSpec(definition, definition.FromJson(item.Params), uploads), models.Value);
            foreach (var (field, upload) in uploads)
            {
                var key = $"inputs/{jobId}/{field}.{upload.Info.Extension}";
                await objects.PutAsync(key, new MemoryStream(upload.Bytes, writable: false), upload.Info.ContentType, ct);
                inputs[field] = key;
            }
        }
        catch (ApiException e) when (e.Code == ErrorCode.RateLimitExceeded)
        {
            await DeleteInputsAsync(inputs.Values);
            logger.LogInformation("Batch {BatchId} item {Index}: no free decode slot; it stays pending", batchId, item.Index);
            return ItemChargeOutcome.LimitReached;
        }
        catch (ApiException e)
        {
            await DeleteInputsAsync(inputs.Values);
            await FailItemAsync(userId, batchId, row.RowKey, item, e.Message, ct);
            return null;
        }

        await store.InsertAsync(JobsService.LookupTable, new TableEntity(jobId, JobsService.LookupRow).With("user_id", userId).With("created_at", now), ct);
        await index.AddAsync(jobId, userId, model, now, inputs.Values, ct);
        var job = new JobRecord
        {
            Id = jobId, UserId = userId, Model = model, State = JobStates.Queued, Params = item.Params, Inputs = inputs,
            Price = item.Price, CreatedAt = now,
        };
        ItemChargeOutcome outcome;
        try
        {
            outcome = await credits.ChargeBatchItemAsync(userId, batchId, jobId, item.Price, max, async token =>
            {
                var current = await store.GetAsync(Users, userId, row.RowKey, token);
                if (current?.GetString("state") != ItemStates.Pending) return null;
                return [TableOperation.Insert(job.ToEntity()),
                    TableOperation.Replace(current.Clone().With("state", ItemStates.Fed).With("job_id", jobId), current.ETag ?? "*")];
            }, ct);
        }
        catch (TableStoreException e) when (e.IsConflict)
        {
            // The job sweeper gave this half-made job up meanwhile (its tombstone refused the charge); the item stays pending.
            outcome = ItemChargeOutcome.Declined;
        }
        if (outcome != ItemChargeOutcome.Charged)
        {
            await index.RemoveAsync(jobId, CancellationToken.None);
            await store.DeleteAsync(JobsService.LookupTable, jobId, JobsService.LookupRow, "*", CancellationToken.None);
            await DeleteInputsAsync(inputs.Values);
            return outcome;
        }
        await jobService.SendAsync(jobId, model, CancellationToken.None);
        return outcome;
    }

    private async Task FailItemAsync(string userId, string batchId, string rowKey, BatchItemSpec item, string error, CancellationToken ct)
    {
        var returned = await credits.ReleaseBatchHoldAsync(userId, batchId, item.Price, batchId,
            $"batch item {item.Index} failed: {error}", async token =>
            {
                var current = await store.GetAsync(Users, userId, rowKey, token);
                if (current?.GetString("state") != ItemStates.Pending) return null;
                return [TableOperation.Replace(current.Clone().With("state", ItemStates.Failed).With("error", error), current.ETag ?? "*")];
            }, ct);
        logger.LogInformation("Batch {BatchId} item {Index} failed before running ({Error}); {Returned} credits returned",
            batchId, item.Index, error, returned);
    }

    private async Task<bool> CompleteIfFinishedAsync(string userId, string batchId, CancellationToken ct)
    {
        var batch = await batches.GetRowAsync(userId, batchId, ct);
        var items = await batches.ReadItemsAsync(userId, batchId, ct);
        if (items.Count < (batch.GetInt64("item_count") ?? 0) ||
            items.Any(i => !JobStates.IsFinished(BatchesService.StateOf(i.Item, i.Job))))
            return false;

        // Every item is finished: whatever the hold still has (nothing, when the books are right) goes back,
        // with the completed mark and, when the batch has a webhook, its event (sent once this commits).
        var completed = false;
        var eventId = ids.NewId("evt");
        string? webhook = null;
        await credits.ReleaseBatchHoldAsync(userId, batchId, null, batchId, "batch completed: unused reservation", async token =>
        {
            var current = await batches.GetRowAsync(userId, batchId, token);
            if (current.GetString("state") == "completed") return null;
            completed = true;
            var now = time.GetUtcNow();
            webhook = current.GetString("webhook_url");
            var done = current.Clone().With("state", "completed").With("finished_at", now).With("webhook_event_id", webhook is null ? null : eventId);
            var ops = new List<TableOperation> { TableOperation.Replace(done, current.ETag ?? "*") };
            if (webhook is not null)
            {
                var view = await batches.ViewAsync(userId, current.Clone().With("state", "completed").With("finished_at", now), "", token);
                var body = JsonSerializer.Serialize(new
                {
                    id = eventId, type = "batch.completed", created_at = now,
                    data = new { batch_id = batchId, state = "completed", counts = view.Counts, credits_charged = view.CreditsCharged, credits_refunded = view.CreditsRefunded },
                }, WatiJson.Options);
                ops.Add(TableOperation.Insert(Webhooks.WebhookSender.EventRow(userId, eventId, "batch.completed", batchId, webhook, body, now)));
            }
            return ops;
        }, ct);
        if (completed)
        {
            if (webhook is not null) await webhooks.SendAsync(userId, eventId, ct);
            await objects.DeleteAsync(BatchesService.SpecKey(batchId), ct);
            await batches.ForgetActiveAsync(batchId, ct);
        }
        return true;
    }

    private async Task DeleteInputsAsync(IEnumerable<string> keys)
    {
        foreach (var key in keys) await objects.DeleteAsync(key, CancellationToken.None);
    }
}
