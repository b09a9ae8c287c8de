using System.Security.Cryptography;
using System.Text;
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

namespace Wati.Platform.Batches;

/// <summary>Outcome of a batch submit: the batch id, and whether an Idempotency-Key replayed an earlier one.</summary>
public sealed record BatchSubmission(string BatchId, bool Replayed);

/// <summary>
/// Submitting, reading and canceling batches (docs/decisions/0009-batches.md). Submit order: the whole
/// batch validated; the validated items written as one spec object and the lookup row; then the
/// atomic reservation that creates the batch row; then the item rows in chunks of 100 and the
/// "written" mark; then the batch message. A crash after the reservation leaves a batch the feeder
/// completes from the spec object, so a batch is never half-charged.
/// </summary>
public sealed class BatchesService(
    ITableStore store,
    IObjectStore objects,
    IJobQueueProducer queue,
    CreditsService credits,
    BatchValidator validator,
    IIdGenerator ids,
    TimeProvider time,
    IOptions<JobsOptions> jobs,
    Webhooks.WebhookSender webhooks,
    ILogger<BatchesService> logger)
{
    /// <summary>The queue of batch messages (<see cref="QueueMessage"/> with the batch id and model <c>batch</c>).</summary>
    public const string Queue = "batches";

    /// <summary>The model name batch messages carry.</summary>
    public const string MessageModel = "batch";

    private const string Users = TableNames.Users;
    private const string LookupRow = "batch";
    private const string ActivePartition = "active";
    private const string IdempotencyPrefix = "idem|batch|";
    private const int Chunk = 100;

    /// <summary>The object key of a batch's validated items, kept until the batch completes.</summary>
    public static string SpecKey(string batchId) => $"batches/{batchId}/items.json";

    public async Task<BatchSubmission> SubmitAsync(string userId, BatchBody body, string? idempotencyKey, string requestId,
        CancellationToken ct)
    {
        var requestHash = Sha256(JsonSerializer.Serialize(body, WatiJson.Options));
        var idemRow = idempotencyKey is null ? null : IdempotencyPrefix + Sha256(idempotencyKey);
        TableEntity? staleIdem = null;
        if (idemRow is not null && await store.GetAsync(Users, userId, idemRow, ct) is { } existing)
        {
            if (Replay(existing, requestHash) is { } replay) return replay;
            staleIdem = existing;
        }

        var items = await validator.ValidateAsync(userId, body, requestId, ct);
        var now = time.GetUtcNow();
        var batchId = "bat_" + ids.NewDescendingId(now);
        var total = items.Sum(i => i.Price);

        await objects.PutAsync(SpecKey(batchId), new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(items, WatiJson.Options)),
            "application/json", ct);
        await store.InsertAsync(TableNames.Batches, new TableEntity(batchId, LookupRow).With("user_id", userId).With("created_at", now), ct);
        await store.InsertAsync(TableNames.Batches, new TableEntity(ActivePartition, batchId).With("user_id", userId).With("created_at", now), ct);

        var batchRow = new TableEntity(userId, BatchRows.Row(batchId))
            .With("model", body.Model).With("item_count", (long)items.Count).With("total", total).With("items_written", false)
            .With("canceled", false).With("state", "running").With("webhook_url", body.WebhookUrl).With("created_at", now).With("finished_at", null);
        var extra = new List<TableOperation> { TableOperation.Insert(batchRow) };
        if (idemRow is not null)
        {
            var idem = new TableEntity(userId, idemRow).With("batch_id", batchId).With("request_hash", requestHash).With("created_at", now);
            extra.Add(staleIdem is null ? TableOperation.Insert(idem) : TableOperation.Replace(idem, staleIdem.ETag ?? "*"));
        }
        try
        {
            await credits.ReserveBatchAsync(userId, batchId, total, $"batch of {items.Count} {body.Model} items", extra, ct);
        }
        catch (Exception e) when (e is not ApiException)
        {
            // The reservation may have committed before the failure (an answer lost on the way back). Only
            // when it certainly did not are the spec object and index rows removed; else they stay, and the
            // batch is released below (reserved) or cleaned by the batch sweep (an hour on, no batch row).
            if (await ReservedAsync(userId, batchId) is not false)
            {
                await ReleaseFailedSubmitAsync(userId, batchId, idemRow, e);
                throw;
            }
            await RemoveUnreservedAsync(batchId);
            if (e is TableStoreException { IsConflict: true } && idemRow is not null &&
                await store.GetAsync(Users, userId, idemRow, CancellationToken.None) is { } winner && Replay(winner, requestHash) is { } replay)
                return replay;
            throw;
        }
        catch (ApiException)
        {
            // Refused before anything was written (402): nothing is reserved.
            await RemoveUnreservedAsync(batchId);
            throw;
        }

        // Reserved: the submit either answers 202 with every item row written and the batch's message sent,
        // or fails with the reservation released (the batch completes as canceled, refunded); a batch is never
        // left holding credits that nothing will use. A crash in between is what the batch sweep is for.
        try
        {
            await WriteItemsAsync(userId, batchId, items, CancellationToken.None);
            await SendAsync(batchId, null, CancellationToken.None);
        }
        catch (Exception e)
        {
            await ReleaseFailedSubmitAsync(userId, batchId, idemRow, e);
            throw;
        }
        return new BatchSubmission(batchId, Replayed: false);
    }

    /// <summary>Whether batch <paramref name="batchId"/>'s reservation committed; null when that cannot be read now.</summary>
    private async Task<bool?> ReservedAsync(string userId, string batchId)
    {
        try
        {
            return await store.GetAsync(Users, userId, BatchRows.Row(batchId), CancellationToken.None) is not null;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Batch {BatchId}: whether its reservation committed cannot be read; the batch sweep decides", batchId);
            return null;
        }
    }

    private async Task RemoveUnreservedAsync(string batchId)
    {
        await objects.DeleteAsync(SpecKey(batchId), CancellationToken.None);
        await store.DeleteAsync(TableNames.Batches, batchId, LookupRow, "*", CancellationToken.None);
        await store.DeleteAsync(TableNames.Batches, ActivePartition, batchId, "*", CancellationToken.None);
    }

    /// <summary>
    /// A submit failed after (or maybe after) its reservation: the whole hold goes back to the balance with
    /// the batch marked canceled (as <c>DELETE /v1/batches/{id}</c> does) and its Idempotency-Key freed, so a
    /// retry submits afresh; then a message lets the feeder mark the items and complete the batch (the batch
    /// sweep sends it if this one is lost). If even the release fails, the batch is left to the sweep and
    /// the feeder, which complete it from the spec object, as after a crash.
    /// </summary>
    private async Task ReleaseFailedSubmitAsync(string userId, string batchId, string? idemRow, Exception cause)
    {
        try
        {
            var returned = await credits.ReleaseBatchHoldAsync(userId, batchId, null, batchId, "batch submit failed: reservation released",
                async token =>
                {
                    if (await store.GetAsync(Users, userId, BatchRows.Row(batchId), token) is not { } row) return null;
                    var ops = new List<TableOperation>();
                    if (row.GetBool("canceled") != true) ops.Add(TableOperation.Replace(row.Clone().With("canceled", true), row.ETag ?? "*"));
                    if (idemRow is not null && await store.GetAsync(Users, userId, idemRow, token) is { } idem && idem.GetString("batch_id") == batchId)
                        ops.Add(TableOperation.Delete(idem.PartitionKey, idem.RowKey, idem.ETag ?? "*"));
                    return ops;
                }, CancellationToken.None);
            logger.LogWarning(cause, "Batch {BatchId}: the submit failed after its reservation; {Returned} credits released and the batch canceled",
                batchId, returned);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Batch {BatchId}: the submit failed after its reservation ({Cause}) and the release failed too; the batch sweep completes it",
                batchId, cause.GetType().Name);
            return;
        }
        try
        {
            await SendAsync(batchId, null, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Batch {BatchId}: canceled after a failed submit; its message is left to the batch sweep", batchId);
        }
    }

    /// <summary>
    /// The batch sweep (docs/decisions/0009): every batch not completed gets a message if its last one
    /// may be lost (a submit that stopped after its reservation, a message dropped); duplicates are
    /// harmless, the batch rows decide. A completed batch whose webhook event may have lost its message
    /// gets it sent again. An entry without a batch row older than an hour is a submit that
    /// never reserved: its spec object and rows are removed. Answers how many messages were sent.
    /// </summary>
    public async Task<int> SweepAsync(TimeSpan olderThan, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var sent = 0;
        string? token = null;
        do
        {
            var page = await store.QueryAsync(TableNames.Batches, new TableQuery(ActivePartition) { Take = 500, ContinuationToken = token }, ct);
            foreach (var entry in page.Items)
            {
                var age = now - (entry.GetTime("created_at") ?? now);
                var userId = entry.GetString("user_id") ?? "";
                var batch = await store.GetAsync(Users, userId, BatchRows.Row(entry.RowKey), ct);
                if (batch is null)
                {
                    if (age < TimeSpan.FromHours(1)) continue;
                    await objects.DeleteAsync(SpecKey(entry.RowKey), ct);
                    await store.DeleteAsync(TableNames.Batches, entry.RowKey, LookupRow, "*", ct);
                    await store.DeleteAsync(TableNames.Batches, ActivePartition, entry.RowKey, "*", ct);
                }
                else if (batch.GetString("state") == "completed")
                {
                    // The feeder stopped between the completion and its webhook's message: send it (the sender
                    // drops an event that is no longer pending, so a duplicate is harmless).
                    if (batch.GetString("webhook_event_id") is { } eventId) await webhooks.SendAsync(userId, eventId, ct);
                    await store.DeleteAsync(TableNames.Batches, ActivePartition, entry.RowKey, "*", ct);
                }
                else if (age >= olderThan)
                {
                    await SendAsync(entry.RowKey, null, ct);
                    sent++;
                }
            }
            token = page.ContinuationToken;
        } while (token is not null);
        return sent;
    }

    /// <summary>Removes a completed batch from the active index (the sweep does it too if this is lost).</summary>
    public Task ForgetActiveAsync(string batchId, CancellationToken ct) =>
        store.DeleteAsync(TableNames.Batches, ActivePartition, batchId, "*", ct);

    /// <summary>
    /// Writes the item rows not written yet, in chunks of at most 100 (one partition batch each; Azure's
    /// limit), then marks the batch written. Idempotent: existing rows are kept as they are.
    /// </summary>
    public async Task WriteItemsAsync(string userId, string batchId, IReadOnlyList<BatchItemSpec> items, CancellationToken ct)
    {
        var existing = (await ReadItemRowsAsync(userId, batchId, ct)).Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
        foreach (var chunk in items.Where(i => !existing.Contains(BatchRows.ItemRow(batchId, i.Index))).Chunk(Chunk))
        {
            try
            {
                await store.ExecuteBatchAsync(Users, chunk.Select(i => TableOperation.Insert(BatchRows.Item(userId, batchId, i))).ToList(), ct);
            }
            catch (TableStoreException e) when (e.IsConflict)
            {
                // Another writer (a redelivered feeder) wrote some of them: write the rest one by one.
                foreach (var item in chunk)
                {
                    try { await store.InsertAsync(Users, BatchRows.Item(userId, batchId, item), ct); }
                    catch (TableStoreException c) when (c.IsConflict) { }
                }
            }
        }
        await store.MergeAsync(Users, new TableEntity(userId, BatchRows.Row(batchId)).With("items_written", true), "*", ct);
    }

    /// <summary>Sends the batch's message (at once, or after <paramref name="delay"/>).</summary>
    public Task SendAsync(string batchId, TimeSpan? delay, CancellationToken ct) =>
        queue.EnqueueAsync(Queue, new QueueMessage(batchId, MessageModel), delay, ct);

    /// <summary>The owner of batch <paramref name="batchId"/>, from the lookup table; null when there is none.</summary>
    public async Task<string?> OwnerAsync(string batchId, CancellationToken ct) =>
        IdRules.IsPlausible(batchId, 5) && await store.GetAsync(TableNames.Batches, batchId, LookupRow, ct) is { } row
            ? row.GetString("user_id")
            : null;

    /// <summary>The batch row; 404 NOT_FOUND when this user has no such batch.</summary>
    public async Task<TableEntity> GetRowAsync(string userId, string batchId, CancellationToken ct) =>
        (IdRules.IsPlausible(batchId, 5) ? await store.GetAsync(Users, userId, BatchRows.Row(batchId), ct) : null)
        ?? throw ApiException.NotFound("batch");

    /// <summary>Every item row of a batch, in index order.</summary>
    public async Task<IReadOnlyList<TableEntity>> ReadItemRowsAsync(string userId, string batchId, CancellationToken ct)
    {
        var rows = new List<TableEntity>();
        string? token = null;
        do
        {
            var page = await store.QueryAsync(Users, TableQuery.Prefix(userId, BatchRows.ItemsPrefix(batchId)) with { ContinuationToken = token }, ct);
            rows.AddRange(page.Items);
            token = page.ContinuationToken;
        } while (token is not null);
        return rows;
    }

    /// <summary>Each item with its job (null until fed), in index order.</summary>
    public async Task<IReadOnlyList<(TableEntity Item, JobRecord? Job)>> ReadItemsAsync(string userId, string batchId, CancellationToken ct)
    {
        var result = new List<(TableEntity, JobRecord?)>();
        foreach (var row in await ReadItemRowsAsync(userId, batchId, ct))
        {
            JobRecord? job = null;
            if (row.GetString("job_id") is { } jobId && await store.GetAsync(Users, userId, JobRecord.RowKey(jobId), ct) is { } jobRow)
                job = JobRecord.FromEntity(jobRow);
            result.Add((row, job));
        }
        return result;
    }

    /// <summary>An item's state as answered: pending is <c>queued</c>, fed is its job's state.</summary>
    public static string StateOf(TableEntity item, JobRecord? job) => item.GetString("state") switch
    {
        ItemStates.Fed => job?.State ?? JobStates.Queued,
        ItemStates.Failed => JobStates.Failed,
        ItemStates.Canceled => JobStates.Canceled,
        _ => JobStates.Queued,
    };

    /// <summary>The batch as answered, its counts and credits read from its items and their jobs.</summary>
    public async Task<BatchView> ViewAsync(string userId, TableEntity batch, string baseUrl, CancellationToken ct)
    {
        var batchId = batch.RowKey[BatchRows.RowPrefix.Length..];
        var items = await ReadItemsAsync(userId, batchId, ct);
        int queued = 0, running = 0, succeeded = 0, failed = 0, canceled = 0;
        long charged = 0, refunded = 0;
        foreach (var (item, job) in items)
        {
            var price = item.GetInt64("price") ?? 0;
            switch (StateOf(item, job))
            {
                case JobStates.Queued: queued++; break;
                case JobStates.Running: running++; break;
                case JobStates.Succeeded: succeeded++; charged += price; break;
                case JobStates.Failed: failed++; refunded += price; break;
                default: canceled++; refunded += price; break;
            }
        }
        // Items not written yet (a submit that stopped after its reservation) are queued until the feeder writes them.
        var count = (int)(batch.GetInt64("item_count") ?? 0);
        queued += Math.Max(0, count - items.Count);
        return new BatchView(batchId, batch.GetString("model") ?? "", batch.GetString("state") ?? "running", count,
            new BatchCounts(queued, running, succeeded, failed, canceled), batch.GetInt64("total") ?? 0, charged, refunded,
            batch.GetBool("canceled") ?? false, baseUrl + "/v1/batches/" + batchId, batch.GetTime("created_at") ?? DateTimeOffset.UnixEpoch,
            batch.GetTime("finished_at"));
    }

    /// <summary>The caller's batch rows, newest first.</summary>
    public Task<Page<TableEntity>> ListAsync(string userId, PageRequest page, CancellationToken ct) =>
        TablePaging.ReadPageAsync(store, Users, TableQuery.Prefix(userId, BatchRows.RowPrefix), page, null, ct);

    /// <summary>
    /// Cancels what has not started: the hold's remainder goes back to the balance with the canceled
    /// mark (one atomic batch, so no item can be fed after it), pending items are marked canceled, and
    /// fed jobs still queued are canceled and refunded on their own. Running and finished items stay.
    /// </summary>
    public async Task CancelAsync(string userId, string batchId, JobsService jobService, CancellationToken ct)
    {
        await GetRowAsync(userId, batchId, ct);
        await credits.ReleaseBatchHoldAsync(userId, batchId, null, batchId, "batch canceled", async token =>
        {
            var row = await GetRowAsync(userId, batchId, token);
            if (row.GetBool("canceled") == true) return null;
            return [TableOperation.Replace(row.Clone().With("canceled", true), row.ETag ?? "*")];
        }, ct);
        await SettleCanceledItemsAsync(userId, batchId, jobService, ct);
        await SendAsync(batchId, null, ct);
    }

    /// <summary>Marks pending items of a canceled batch canceled (their share already went back) and cancels its queued jobs.</summary>
    public async Task SettleCanceledItemsAsync(string userId, string batchId, JobsService jobService, CancellationToken ct)
    {
        var pending = new List<TableOperation>();
        foreach (var row in await ReadItemRowsAsync(userId, batchId, ct))
        {
            if (row.GetString("state") == ItemStates.Pending)
                pending.Add(TableOperation.Replace(row.Clone().With("state", ItemStates.Canceled), row.ETag ?? "*"));
            else if (row.GetString("state") == ItemStates.Fed && row.GetString("job_id") is { } jobId)
                await jobService.CancelIfQueuedAsync(userId, jobId, ct);
        }
        foreach (var chunk in pending.Chunk(Chunk))
        {
            try { await store.ExecuteBatchAsync(Users, chunk, ct); }
            catch (TableStoreException e) when (e.IsPreconditionFailed) { /* a feeder raced us; the next pass marks the rest */ }
        }
    }

    private BatchSubmission? Replay(TableEntity idem, string requestHash)
    {
        if (idem.GetTime("created_at") is { } at && time.GetUtcNow() - at > TimeSpan.FromHours(jobs.Value.IdempotencyHours)) return null;
        if (idem.GetString("request_hash") != requestHash)
            throw new ApiException(ErrorCode.AlreadyExists, "this Idempotency-Key was used with a different request",
                new { batch_id = idem.GetString("batch_id") });
        return new BatchSubmission(idem.GetString("batch_id")!, Replayed: true);
    }

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
