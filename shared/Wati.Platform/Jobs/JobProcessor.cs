using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

/// <summary>What the queue consumer should do with the message after processing.</summary>
public enum ProcessOutcome
{
    /// <summary>The job is finished (or never existed): remove the message.</summary>
    Done,

    /// <summary>Another worker holds the job's lease: look again later.</summary>
    RetryLater,
}

/// <summary>
/// Runs one job from its message, safely under redelivery: the job record decides. A finished job is
/// left alone; a running one is taken over only once its lease has passed; outputs go to fixed keys,
/// and finishing (settle or refund) is one guarded batch with the job row, so nothing is charged,
/// stored or finished twice.
/// </summary>
public sealed class JobProcessor(
    ITableStore store,
    IObjectStore objects,
    CreditsService credits,
    ModelPipeline models,
    JobNotifier notifier,
    IIdGenerator ids,
    TimeProvider time,
    IOptions<JobsOptions> options,
    ILogger<JobProcessor> logger)
{
    private const string Table = JobsService.UsersTable;

    /// <param name="lastDelivery">No redelivery will follow: a failure now fails the job (and refunds) instead of throwing.</param>
    public async Task<ProcessOutcome> ProcessAsync(JobMessage message, bool lastDelivery, CancellationToken ct)
    {
        var lookup = await store.GetAsync(JobsService.LookupTable, message.JobId, JobsService.LookupRow, ct);
        if (lookup?.GetString("user_id") is not { } userId) return ProcessOutcome.Done;

        var (job, claimed) = await ClaimAsync(userId, message.JobId, ct);
        if (job is null) return await IsChargePendingAsync(lookup, userId, message.JobId, ct) ? ProcessOutcome.RetryLater : ProcessOutcome.Done;
        if (!claimed) return JobStates.IsFinished(job.State) ? ProcessOutcome.Done : ProcessOutcome.RetryLater;

        try
        {
            var outputs = await RunModelAsync(job, ct);
            await FinishAsync(job, outputs, ct);
        }
        catch (ModelException e) when (e.IsInputError)
        {
            await FailAsync(job, 400, "the model rejected the input: " + e.Message, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (!lastDelivery && (ModelPipeline.IsTransient(e) || e is not ModelException))
            {
                // The redelivery must be able to claim the job at once, not wait out our lease.
                await ReleaseLeaseAsync(job);
                throw;
            }
            logger.LogWarning(e, "Job {JobId} failed for good", job.Id);
            await FailAsync(job, 500, e is ModelException ? "the model failed: " + e.Message : "the job failed; credits were refunded", ct);
        }
        finally
        {
            notifier.Notify(job.Id);
        }
        return ProcessOutcome.Done;
    }

    /// <summary>
    /// Marks the job running under a fresh claim. Not claimed: it is finished, or another worker's lease
    /// on it still runs. No job: its row does not exist (yet).
    /// </summary>
    private async Task<(JobRecord? Job, bool Claimed)> ClaimAsync(string userId, string jobId, CancellationToken ct)
    {
        while (true)
        {
            var row = await store.GetAsync(Table, userId, JobRecord.RowKey(jobId), ct);
            if (row is null) return (null, false);
            var job = JobRecord.FromEntity(row);
            var now = time.GetUtcNow();
            if (JobStates.IsFinished(job.State) || (job.State == JobStates.Running && job.LeaseUntil > now)) return (job, false);

            var claimed = job with
            {
                State = JobStates.Running,
                StartedAt = job.StartedAt ?? now,
                LeaseUntil = now + TimeSpan.FromSeconds(options.Value.LeaseSeconds),
                Claim = ids.NewId("claim"),
                Attempts = job.Attempts + 1,
            };
            try
            {
                var etag = await store.ReplaceAsync(Table, claimed.ToEntity(), job.ETag ?? "*", ct);
                return (claimed with { ETag = etag }, true);
            }
            catch (TableStoreException e) when (e.IsPreconditionFailed)
            {
                // Canceled or claimed meanwhile: look again.
            }
        }
    }

    // The message is enqueued just before the charge that creates the job row; give that a moment. A row
    // that has appeared since the claim looked is the charge landing in between: run it on redelivery.
    private async Task<bool> IsChargePendingAsync(TableEntity lookup, string userId, string jobId, CancellationToken ct) =>
        time.GetUtcNow() - (lookup.GetTime("created_at") ?? DateTimeOffset.MinValue) < TimeSpan.FromSeconds(30) ||
        await store.GetAsync(Table, userId, JobRecord.RowKey(jobId), ct) is not null;

    private async Task<IReadOnlyList<ModelOutput>> RunModelAsync(JobRecord job, CancellationToken ct)
    {
        var images = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (field, key) in job.Inputs)
        {
            await using var stored = await objects.GetAsync(key, ct)
                                     ?? throw new ModelException($"input '{field}' is no longer stored", isInputError: true);
            using var buffer = new MemoryStream();
            await stored.Content.CopyToAsync(buffer, ct);
            images[field] = buffer.ToArray();
        }
        return await models.RunAsync(new ModelRequest(job.Model, images, JobSpecs.FromJson(job.Model, job.Params)), ct);
    }

    private async Task FinishAsync(JobRecord job, IReadOnlyList<ModelOutput> outputs, CancellationToken ct)
    {
        var stored = new List<StoredOutput>();
        for (var i = 0; i < outputs.Count; i++)
        {
            var o = outputs[i];
            var key = JobSpecs.OutputKey(job.Model, job.Params, job.Id, i, o.Extension);
            await objects.PutAsync(key, new MemoryStream(o.Bytes, writable: false), o.ContentType, ct);
            stored.Add(new StoredOutput(i, key, o.ContentType, o.Width, o.Height));
        }

        var settled = await credits.SettleJobAsync(job.UserId, job.Id, token => NextIfStillOursAsync(job, current => current with
        {
            State = JobStates.Succeeded, Outputs = stored, FinishedAt = time.GetUtcNow(), LeaseUntil = null,
        }, token), ct);
        if (!settled)
        {
            // Someone else finished or took over this job: our copies are not the job's outputs.
            var kept = (await store.GetAsync(Table, job.UserId, JobRecord.RowKey(job.Id), ct)) is { } row
                ? JobRecord.FromEntity(row).Outputs.Select(o => o.Key).ToHashSet() : [];
            foreach (var o in stored.Where(o => !kept.Contains(o.Key))) await objects.DeleteAsync(o.Key, ct);
        }
    }

    private Task FailAsync(JobRecord job, int status, string message, CancellationToken ct) =>
        credits.RefundJobAsync(job.UserId, job.Id, "job failed", token => NextIfStillOursAsync(job, current => current with
        {
            State = JobStates.Failed, Refunded = true, ErrorCode = "PROCESSING_ERROR", ErrorMessage = message,
            ErrorStatus = status, FinishedAt = time.GetUtcNow(), LeaseUntil = null,
        }, token), ct);

    /// <summary>Gives up our claim on a job that stays unfinished; best effort, as the lease runs out anyway.</summary>
    private async Task ReleaseLeaseAsync(JobRecord claimed)
    {
        try
        {
            var ops = await NextIfStillOursAsync(claimed, current => current with { LeaseUntil = time.GetUtcNow() }, CancellationToken.None);
            if (ops is not null) await store.ExecuteBatchAsync(Table, ops, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release the lease on job {JobId}", claimed.Id);
        }
    }

    /// <summary>The job row's next state, guarded by its ETag, if our claim still holds it.</summary>
    private async Task<IReadOnlyList<TableOperation>?> NextIfStillOursAsync(JobRecord claimed, Func<JobRecord, JobRecord> next,
        CancellationToken ct)
    {
        var row = await store.GetAsync(Table, claimed.UserId, JobRecord.RowKey(claimed.Id), ct);
        if (row is null) return null;
        var current = JobRecord.FromEntity(row);
        if (current.State != JobStates.Running || current.Claim != claimed.Claim) return null;
        return [TableOperation.Replace(next(current).ToEntity(), current.ETag ?? "*")];
    }
}
