using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

/// <summary>Outcome of a submit: the job, and whether an Idempotency-Key replayed an earlier one.</summary>
public sealed record Submission(JobRecord Job, bool Replayed);

/// <summary>
/// Submitting, reading, listing and canceling jobs. Submit order (docs/decisions/0005): inputs stored,
/// lookup row and active-index entry written, then the atomic charge that creates the job row, and only
/// then the message is sent and marked sent in the index. A message therefore always finds its job row;
/// a crash between charge and send leaves a queued job whose index entry says "not sent", which the
/// <see cref="JobSweeper"/> sends.
/// </summary>
public sealed class JobsService(
    ITableStore store,
    IObjectStore objects,
    IJobQueueProducer queue,
    ActiveJobIndex index,
    CreditsService credits,
    IIdGenerator ids,
    TimeProvider time,
    JobNotifier notifier,
    IOptions<JobsOptions> options,
    IOptions<ModelsOptions> models,
    Models.Catalog.ModelCatalog catalog,
    ILogger<JobsService> logger)
{
    public const string UsersTable = "users";
    public const string LookupTable = "jobs";
    public const string LookupRow = "job";
    private const string IdempotencyPrefix = "idem|";

    public JobsOptions Options => options.Value;

    public async Task<Submission> SubmitAsync(string userId, JobSpec spec, string? idempotencyKey, CancellationToken ct)
    {
        var requestHash = idempotencyKey is null ? null : HashRequest(spec);
        var idemRowKey = idempotencyKey is null ? null : IdempotencyPrefix + Sha256(idempotencyKey);
        TableEntity? staleIdem = null;
        if (idemRowKey is not null)
        {
            var existing = await store.GetAsync(UsersTable, userId, idemRowKey, ct);
            if (existing is not null && await ReplayAsync(userId, existing, requestHash!, ct) is { } replay) return replay;
            staleIdem = existing;
        }

        JobSpecs.CheckOutputLimits(spec, models.Value);

        var now = time.GetUtcNow();
        var jobId = "job_" + ids.NewDescendingId(now);
        var price = JobSpecs.PriceOf(spec, credits.Options);
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        JobRecord job;
        try
        {
            foreach (var (field, upload) in spec.Images)
            {
                var key = $"inputs/{jobId}/{field}.{upload.Info.Extension}";
                await objects.PutAsync(key, new MemoryStream(upload.Bytes, writable: false), upload.Info.ContentType, ct);
                inputs[field] = key;
            }
            await store.InsertAsync(LookupTable, new TableEntity(jobId, LookupRow).With("user_id", userId).With("created_at", now), ct);
            await index.AddAsync(jobId, userId, spec.Model, now, inputs.Values, ct);

            job = new JobRecord
            {
                Id = jobId, UserId = userId, Model = spec.Model, State = JobStates.Queued,
                Params = spec.ParamsJson, Inputs = inputs, Price = price, CreatedAt = now,
            };
            var extra = new List<TableOperation> { TableOperation.Insert(job.ToEntity()) };
            if (idemRowKey is not null)
            {
                var idem = new TableEntity(userId, idemRowKey).With("job_id", jobId).With("request_hash", requestHash).With("created_at", now);
                extra.Add(staleIdem is null ? TableOperation.Insert(idem) : TableOperation.Replace(idem, staleIdem.ETag ?? "*"));
            }
            await credits.ChargeJobAsync(userId, jobId, price, $"{spec.Model} job", options.Value.MaxActivePerUser, extra, ct);
        }
        catch (Exception e)
        {
            await DiscardAsync(jobId, inputs.Values);
            // The same Idempotency-Key raced us and won: answer its job (or 409 if the bodies differ).
            if (e is TableStoreException { IsConflict: true } && idemRowKey is not null &&
                await store.GetAsync(UsersTable, userId, idemRowKey, CancellationToken.None) is { } winner &&
                await ReplayAsync(userId, winner, requestHash!, ct) is { } replay)
                return replay;
            // The sweeper gave this submit up while it stalled, and its tombstone refused the charge.
            if (e is TableStoreException { IsConflict: true } && await FindAsync(userId, jobId, CancellationToken.None) is { Price: 0 })
                throw new ApiException(ErrorCode.InternalError, "the request took too long and was abandoned; nothing was charged",
                    new { job_id = jobId });
            throw;
        }

        // Charged: from here on the job is never given up, whatever the caller does.
        await SendAsync(job.Id, job.Model, CancellationToken.None);
        return new Submission(job, Replayed: false);
    }

    /// <summary>
    /// Sends the job's message and marks it sent in the active index. A failure is logged, not thrown:
    /// the job is charged and queued, and the sweeper sends it.
    /// </summary>
    public async Task SendAsync(string jobId, string model, CancellationToken ct)
    {
        try
        {
            var sentAt = time.GetUtcNow();
            await queue.EnqueueAsync(catalog.QueueOf(model), new QueueMessage(jobId, model), cancellationToken: ct);
            await index.MarkEnqueuedAsync(jobId, sentAt, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not send job {JobId} to its queue; the sweeper will send it", jobId);
        }
    }

    public async Task<JobRecord> GetAsync(string userId, string jobId, CancellationToken ct) =>
        await FindAsync(userId, jobId, ct) ?? throw ApiException.NotFound("job");

    public async Task<JobRecord?> FindAsync(string userId, string jobId, CancellationToken ct) =>
        IdRules.IsPlausible(jobId, minLength: 5) && await store.GetAsync(UsersTable, userId, JobRecord.RowKey(jobId), ct) is { } row
            ? JobRecord.FromEntity(row)
            : null;

    public async Task<Page<JobRecord>> ListAsync(string userId, string? model, string? state, PageRequest page, CancellationToken ct)
    {
        var rows = await TablePaging.ReadPageAsync(store, UsersTable, TableQuery.Prefix(userId, JobRecord.RowPrefix), page,
            e => (model is null || e.GetString("model") == model) && (state is null || e.GetString("state") == state), ct);
        return new Page<JobRecord>(rows.Items.Select(JobRecord.FromEntity).ToList(), rows.Total, page);
    }

    /// <summary>Waits until the job is finished or <paramref name="wait"/> has passed; answers its latest record.</summary>
    public async Task<JobRecord> WaitAsync(JobRecord job, TimeSpan wait, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + wait;
        while (!JobStates.IsFinished(job.State))
        {
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero) break;
            await notifier.WhenChangedAsync(job.Id, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
            job = await GetAsync(job.UserId, job.Id, ct);
        }
        return job;
    }

    /// <summary>
    /// Cancels and refunds the job only if it is still queued (a canceled batch's items); a job that
    /// started or finished is left alone, its stored files included. True when this call canceled it.
    /// </summary>
    public async Task<bool> CancelIfQueuedAsync(string userId, string jobId, CancellationToken ct)
    {
        var canceled = await credits.RefundJobAsync(userId, jobId, "job canceled", async token =>
        {
            var current = await FindAsync(userId, jobId, token);
            if (current is not { State: JobStates.Queued }) return null;
            var next = current with { State = JobStates.Canceled, Refunded = true, FinishedAt = time.GetUtcNow() };
            return [TableOperation.Replace(next.ToEntity(), current.ETag ?? "*")];
        }, ct);
        if (!canceled) return false;
        notifier.Notify(jobId);
        await index.RemoveAsync(jobId, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Queued: cancel and refund at once. Running: mark it for cancellation; its worker stops the model
    /// (a Replicate prediction is canceled too), refunds and marks it <c>canceled</c> at its next heartbeat
    /// (seconds), unless the result lands first. Finished (or just canceled): delete its stored inputs and
    /// outputs; the record stays, so the ledger keeps its reference.
    /// </summary>
    public async Task<JobRecord> CancelOrDeleteAsync(string userId, string jobId, CancellationToken ct)
    {
        var job = await GetAsync(userId, jobId, ct);
        if (job.State == JobStates.Queued)
        {
            await CancelIfQueuedAsync(userId, jobId, ct);
            job = await GetAsync(userId, jobId, ct);
        }
        if (job.State == JobStates.Running) return await RequestCancelAsync(job, ct);
        if (!JobStates.IsFinished(job.State)) return job;

        foreach (var key in job.Inputs.Values.Concat(job.Outputs.Select(o => o.Key))) await objects.DeleteAsync(key, ct);
        if (!job.OutputsDeleted)
        {
            await store.MergeAsync(UsersTable, new TableEntity(userId, JobRecord.RowKey(jobId)).With("outputs_deleted", true), "*", ct);
            job = job with { OutputsDeleted = true };
        }
        return job;
    }

    private async Task<JobRecord> RequestCancelAsync(JobRecord job, CancellationToken ct)
    {
        while (true)
        {
            if (job.State != JobStates.Running || job.CancelRequested) return job;
            try
            {
                await store.ReplaceAsync(UsersTable, (job with { CancelRequested = true }).ToEntity(), job.ETag ?? "*", ct);
                notifier.Notify(job.Id);
                return await GetAsync(job.UserId, job.Id, ct);
            }
            catch (TableStoreException e) when (e.IsPreconditionFailed)
            {
                job = await GetAsync(job.UserId, job.Id, ct); // a heartbeat or the finish wrote meanwhile
            }
        }
    }

    private async Task<Submission?> ReplayAsync(string userId, TableEntity idem, string requestHash, CancellationToken ct)
    {
        if (idem.GetTime("created_at") is { } at && time.GetUtcNow() - at > TimeSpan.FromHours(options.Value.IdempotencyHours))
            return null;
        if (idem.GetString("request_hash") != requestHash)
            throw new ApiException(ErrorCode.AlreadyExists, "this Idempotency-Key was used with a different request",
                new { job_id = idem.GetString("job_id") });
        var job = await FindAsync(userId, idem.GetString("job_id") ?? "", ct);
        return job is null ? null : new Submission(job, Replayed: true);
    }

    private async Task DiscardAsync(string jobId, IEnumerable<string> inputKeys)
    {
        // Best effort and never with the request's token: the caller may have gone away.
        try
        {
            await index.RemoveAsync(jobId, CancellationToken.None);
            await store.DeleteAsync(LookupTable, jobId, LookupRow, "*", CancellationToken.None);
            foreach (var key in inputKeys) await objects.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception)
        {
            // What is left is found by the sweeper through the index entry (or is unreachable and harmless).
        }
    }

    private static string HashRequest(JobSpec spec)
    {
        var text = new StringBuilder(spec.Model).Append('\n').Append(spec.ParamsJson.GetRawText());
        foreach (var (field, upload) in spec.Images.OrderBy(i => i.Key, StringComparer.Ordinal))
            text.Append('\n').Append(field).Append('=').Append(Convert.ToHexStringLower(SHA256.HashData(upload.Bytes)));
        return Sha256(text.ToString());
    }

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

}
