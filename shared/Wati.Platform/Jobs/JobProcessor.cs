using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

/// <summary>What the transport does with a delivery once it is processed.</summary>
/// <param name="RetryAfter">Null: done, remove the message. Else: deliver the job again after this delay.</param>
public readonly record struct ProcessOutcome(TimeSpan? RetryAfter)
{
    /// <summary>The job is finished, held by a live worker, or never existed: remove the message.</summary>
    public static ProcessOutcome Done => default;

    /// <summary>Try the job again after <paramref name="delay"/> with a fresh message (no delivery spent).</summary>
    public static ProcessOutcome Retry(TimeSpan delay) => new(delay);

    /// <summary>True for <see cref="Done"/>.</summary>
    public bool IsDone => RetryAfter is null;
}

/// <summary>Keeps the transport's lease on the message alive: <paramref name="Renew"/> every <paramref name="Interval"/>.</summary>
/// <param name="Renew">Extends the message's lease; false when it was lost.</param>
public sealed record MessageLease(TimeSpan Interval, Func<CancellationToken, Task<bool>> Renew);

/// <summary>
/// Processes exactly one delivery of a job message; the job record, not the message, decides
/// (design section 9). A finished job, or one a live worker holds, is left alone. Otherwise the worker
/// waits for a model slot (still <c>queued</c>), then claims the job under a lease that starts when the
/// model starts and is renewed by a heartbeat while it runs; a worker that loses its lease stops and
/// stores nothing. Outputs go to fixed keys; finishing (settle or refund) is one guarded batch with the
/// job row. Attempts are counted on the job record against <see cref="JobsOptions.MaxAttempts"/>, so
/// every transport (polling loop, queue trigger) gets the same decisions.
/// </summary>
public sealed class JobProcessor(
    ITableStore store,
    IObjectStore objects,
    CreditsService credits,
    ModelPipeline models,
    ModelSlots slots,
    ActiveJobIndex index,
    JobNotifier notifier,
    Metrics.IJobEvents events,
    IIdGenerator ids,
    TimeProvider time,
    IOptions<JobsOptions> options,
    Models.Catalog.ModelCatalog catalog,
    ILogger<JobProcessor> logger) : IQueueHandler
{
    /// <summary>
    /// The handler of every model queue (<c>jobs-{model}</c>, docs/decisions/0007): a delivery runs its job, the
    /// transport keeping the message hidden (so no <see cref="MessageLease"/>); the dead-letter hook is
    /// <see cref="HandleDeadLetterAsync"/>.
    /// </summary>
    Task<ProcessOutcome> IQueueHandler.HandleAsync(QueueMessage message, CancellationToken ct) => ProcessAsync(message, null, ct);

    private const string Table = JobsService.UsersTable;

    /// <summary>How often a running job looks for a cancel request (at most; a third of the lease if shorter).</summary>
    public static readonly TimeSpan CancelCheckInterval = TimeSpan.FromSeconds(5);

    private JobsOptions Options => options.Value;

    private TimeSpan Lease => TimeSpan.FromSeconds(Options.LeaseSeconds);

    /// <summary>Runs the job of <paramref name="message"/> if it needs running.</summary>
    /// <param name="messageLease">Keeps the message hidden while the job waits and runs; null when the host does that itself.</param>
    /// <param name="ct">Canceled when the host stops: the job goes back to <c>queued</c> and the exception propagates.</param>
    /// <returns><see cref="ProcessOutcome.Done"/>, or a retry delay after a transient failure with attempts left.</returns>
    public async Task<ProcessOutcome> ProcessAsync(QueueMessage message, MessageLease? messageLease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var userId = await UserOfAsync(message.Id, ct);
        if (userId is null || await ReadAsync(userId, message.Id, ct) is not { } first || !NeedsWork(first)) return ProcessOutcome.Done;

        await using var messageKeeper = messageLease is null
            ? null
            : LeaseKeeper.Start(messageLease.Interval, messageLease.Renew, time, logger, "message");
        using var slot = await slots.AcquireAsync(ct);

        var claimed = await ClaimAsync(userId, message.Id, ct);
        return claimed is null ? ProcessOutcome.Done : await RunClaimedAsync(claimed, ct);
    }

    /// <summary>
    /// The dead-letter hook (embedded dead letters, Azure poison queues): fails and refunds the job of a
    /// message no consumer could finish, exactly once. A job that is finished, or held by a live worker,
    /// is left alone; if that worker dies, the sweeper finishes the job.
    /// </summary>
    public async Task HandleDeadLetterAsync(QueueMessage message, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (await UserOfAsync(message.Id, ct) is not { } userId || await ReadAsync(userId, message.Id, ct) is not { } job) return;
        if (await FailUnattendedAsync(job, "the job could not be processed; credits were refunded", ct))
            logger.LogWarning("Job {JobId} failed and was refunded: its message was dead-lettered ({Reason})", job.Id, reason);
    }

    /// <summary>
    /// Fails and refunds a job that no live worker holds (queued, or running past its lease), guarded by
    /// its ETag so it races safely with workers and other sweepers. False when it was finished or held.
    /// </summary>
    public async Task<bool> FailUnattendedAsync(JobRecord job, string message, CancellationToken ct)
    {
        var failed = await credits.RefundJobAsync(job.UserId, job.Id, job.CancelRequested ? "job canceled" : "job failed", async token =>
        {
            var current = await ReadAsync(job.UserId, job.Id, token);
            if (current is null || !NeedsWork(current)) return null;
            var next = current.CancelRequested ? Canceled(current) : Failed(current, 500, message);
            return [TableOperation.Replace(next.ToEntity(), current.ETag ?? "*")];
        }, ct);
        if (failed) await AfterFinishAsync(job.Id);
        return failed;
    }

    /// <summary>Not finished and not held by a live worker.</summary>
    private bool NeedsWork(JobRecord job) => !JobStates.IsFinished(job.State) && !job.IsHeldAt(time.GetUtcNow());

    /// <summary>Marks the job running under a fresh claim and lease; null when it no longer needs work.</summary>
    private async Task<JobRecord?> ClaimAsync(string userId, string jobId, CancellationToken ct)
    {
        while (true)
        {
            var job = await ReadAsync(userId, jobId, ct);
            if (job is null || !NeedsWork(job)) return null;
            if (job.Attempts >= Options.MaxAttempts || job.CancelRequested)
            {
                await FailUnattendedAsync(job, $"the job failed {job.Attempts} times; credits were refunded", ct);
                return null;
            }

            var now = time.GetUtcNow();
            var claimed = job with
            {
                State = JobStates.Running, StartedAt = now, LeaseUntil = now + Lease, Claim = ids.NewId("claim"), Attempts = job.Attempts + 1,
            };
            try
            {
                var etag = await store.ReplaceAsync(Table, claimed.ToEntity(), job.ETag ?? "*", ct);
                return claimed with { ETag = etag };
            }
            catch (TableStoreException e) when (e.IsPreconditionFailed)
            {
                // Canceled or claimed meanwhile: look again.
            }
        }
    }

    private async Task<ProcessOutcome> RunClaimedAsync(JobRecord job, CancellationToken ct)
    {
        // Beat often enough that a cancel asked for while the model runs stops it within seconds.
        var beat = TimeSpan.FromTicks(Math.Min((Lease / 3).Ticks, CancelCheckInterval.Ticks));
        var keeper = LeaseKeeper.Start(beat, token => RenewLeaseAsync(job, token), time, logger, "job");
        try
        {
            using var work = CancellationTokenSource.CreateLinkedTokenSource(ct, keeper.Lost);
            var (result, modelMs) = await RunModelAsync(job, work.Token);
            await keeper.DisposeAsync();
            await FinishAsync(job, result, modelMs, ct);
            return ProcessOutcome.Done;
        }
        catch (OperationCanceledException) when (keeper.IsLost && !ct.IsCancellationRequested)
        {
            if (await CancelIfAskedAsync(job, ct)) return ProcessOutcome.Done;
            logger.LogWarning("Job {JobId}: the lease was lost while the model ran; stopped without storing anything", job.Id);
            return ProcessOutcome.Done;
        }
        catch (ModelException e) when (e.IsInputError)
        {
            // PROCESSING_ERROR 400: the input passed our checks and the model refused it (design section 5,
            // the response-format document's code table); VALIDATION_ERROR stays ours, answered before any charge.
            await FinishFailedAsync(job, 400, "the model rejected the input: " + e.Message, ct);
            return ProcessOutcome.Done;
        }
        catch (ModelException e) when (e.ConfigurationKey is { } key)
        {
            // Our configuration, not the caller's input: never retried, refunded, and loud (issue 17).
            logger.LogError(e, "Job {JobId} failed: the model provider refused our configuration; fix {Setting}", job.Id, key);
            await FinishFailedAsync(job, 500, "the model is not available (a configuration error on our side); credits were refunded", ct,
                "INTERNAL_ERROR");
            return ProcessOutcome.Done;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A throttle (its hint in the header or the body) or the breaker refusing the call: not an attempt,
            // up to MaxThrottles of them (issue 17). Older providers say "throttled" as transient + RetryAfter.
            var throttled = ModelPipeline.IsThrottle(e) || e is ModelException { IsTransient: true, RetryAfter: not null };
            var retryable = throttled || ModelPipeline.IsTransient(e) || e is not ModelException;
            var left = throttled ? job.Throttles < Options.MaxThrottles : job.Attempts < Options.MaxAttempts;
            if (retryable && left && await RequeueAsync(job, throttled))
            {
                var delay = (e as ModelException)?.RetryAfter ?? (e as Polly.CircuitBreaker.BrokenCircuitException)?.RetryAfter
                            ?? TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(job.Attempts, 6)));
                logger.LogWarning(e, "Job {JobId} attempt {Attempt} failed; it goes back to its queue for {Delay}", job.Id, job.Attempts, delay);
                return ProcessOutcome.Retry(delay);
            }
            logger.LogWarning(e, "Job {JobId} failed for good after {Attempts} attempts", job.Id, job.Attempts);
            await FinishFailedAsync(job, 500, e is ModelException ? "the model failed: " + e.Message : "the job failed; credits were refunded", ct);
            return ProcessOutcome.Done;
        }
        catch (OperationCanceledException)
        {
            // The host is stopping: give the job back so the redelivery (or the sweeper) can take it at once.
            await RequeueAsync(job, throttled: false, countAttempt: false);
            throw;
        }
        finally
        {
            await keeper.DisposeAsync();
            notifier.Notify(job.Id);
        }
    }

    private async Task<(ModelResult Result, int ModelMs)> RunModelAsync(JobRecord job, CancellationToken ct)
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
        var started = time.GetTimestamp();
        var result = await models.RunAsync(new ModelRequest(job.Model, images, catalog.Of(job.Model).FromJson(job.Params)), ct);
        return (result, (int)Math.Min(int.MaxValue, time.GetElapsedTime(started).TotalMilliseconds));
    }

    private async Task FinishAsync(JobRecord job, ModelResult result, int modelMs, CancellationToken ct)
    {
        // Lost the job while the model ran (taken over or canceled): store nothing.
        if (await NextIfStillOursAsync(job, j => j, ct) is null || await CancelIfAskedAsync(job, ct)) return;

        var stored = new List<StoredOutput>();
        for (var i = 0; i < result.Outputs.Count; i++)
        {
            var o = result.Outputs[i];
            var key = catalog.Of(job.Model).OutputKey(job.Params, job.Id, i, o.Extension);
            await objects.PutAsync(key, new MemoryStream(o.Bytes, writable: false), o.ContentType, ct);
            stored.Add(new StoredOutput(i, key, o.ContentType, o.Width, o.Height, o.Bytes.LongLength));
        }

        var settled = await credits.SettleJobAsync(job.UserId, job.Id, token => NextIfStillOursAsync(job, current => current with
        {
            State = JobStates.Succeeded, Outputs = stored, FinishedAt = time.GetUtcNow(), LeaseUntil = null,
            ModelId = result.ModelId, PredictionId = result.PredictionId, Strategy = result.Strategy, ModelMs = modelMs,
        }, token), ct);
        if (settled)
        {
            await AfterFinishAsync(job.Id);
            return;
        }
        // Someone else finished or took over this job between the check and the settle: our copies are not its outputs.
        var kept = await ReadAsync(job.UserId, job.Id, ct) is { } now ? now.Outputs.Select(o => o.Key).ToHashSet() : [];
        foreach (var o in stored.Where(o => !kept.Contains(o.Key))) await objects.DeleteAsync(o.Key, ct);
    }

    private async Task FinishFailedAsync(JobRecord job, int status, string message, CancellationToken ct, string code = "PROCESSING_ERROR")
    {
        if (await credits.RefundJobAsync(job.UserId, job.Id, "job failed",
                token => NextIfStillOursAsync(job, current => Failed(current, status, message, code), token), ct))
            await AfterFinishAsync(job.Id);
    }

    /// <summary>If the owner asked to cancel our job: refund it and mark it canceled. True when it did.</summary>
    private async Task<bool> CancelIfAskedAsync(JobRecord claimed, CancellationToken ct)
    {
        if (await ReadAsync(claimed.UserId, claimed.Id, ct) is not { CancelRequested: true } current || current.Claim != claimed.Claim) return false;
        if (await credits.RefundJobAsync(claimed.UserId, claimed.Id, "job canceled",
                token => NextIfStillOursAsync(claimed, Canceled, token), ct))
        {
            logger.LogInformation("Job {JobId} was canceled while it ran; credits were refunded", claimed.Id);
            await AfterFinishAsync(claimed.Id);
        }
        return true;
    }

    private JobRecord Canceled(JobRecord job) => job with
    {
        State = JobStates.Canceled, Refunded = true, FinishedAt = time.GetUtcNow(), LeaseUntil = null,
    };

    // The message may quote the provider: bounded so the row stays storable (Azure's 64 KiB property limit; issue 17).
    private JobRecord Failed(JobRecord job, int status, string message, string code = "PROCESSING_ERROR") => job with
    {
        State = JobStates.Failed, Refunded = true, ErrorCode = code, ErrorMessage = OutsideText.Bound(message), ErrorStatus = status,
        FinishedAt = time.GetUtcNow(), LeaseUntil = null,
    };

    // The job row is final; the index entry only helps the sweeper, which removes it anyway if this fails.
    private async Task AfterFinishAsync(string jobId)
    {
        events.Finished(jobId); // its usage event (Metrics/): buffered, never throws
        try
        {
            await index.RemoveAsync(jobId, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not remove finished job {JobId} from the active index; the sweeper will", jobId);
        }
    }

    /// <summary>
    /// Extends our lease once a third of it has gone by; false when the job is no longer ours (taken over,
    /// finished) or its owner asked to cancel it.
    /// </summary>
    private async Task<bool> RenewLeaseAsync(JobRecord claimed, CancellationToken ct)
    {
        while (true)
        {
            var current = await ReadAsync(claimed.UserId, claimed.Id, ct);
            if (current is null || current.State != JobStates.Running || current.Claim != claimed.Claim || current.CancelRequested) return false;
            var now = time.GetUtcNow();
            if (current.LeaseUntil - now > Lease * 2 / 3) return true;
            try
            {
                await store.ReplaceAsync(Table, (current with { LeaseUntil = now + Lease }).ToEntity(), current.ETag ?? "*", ct);
                return true;
            }
            catch (TableStoreException e) when (e.IsPreconditionFailed)
            {
                // Changed meanwhile; look again.
            }
        }
    }

    /// <summary>
    /// Puts a job we hold back to <c>queued</c> for another try. A throttled run does not count as an
    /// attempt but as a throttle. Best effort: if it fails, the lease runs out and the sweeper steps in.
    /// </summary>
    private async Task<bool> RequeueAsync(JobRecord claimed, bool throttled, bool countAttempt = true)
    {
        try
        {
            var ops = await NextIfStillOursAsync(claimed, current => current with
            {
                State = JobStates.Queued, LeaseUntil = null, Claim = null,
                Attempts = throttled || !countAttempt ? current.Attempts - 1 : current.Attempts,
                Throttles = throttled ? current.Throttles + 1 : current.Throttles,
            }, CancellationToken.None);
            if (ops is null) return false;
            await store.ExecuteBatchAsync(Table, ops, CancellationToken.None);
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not put job {JobId} back in the queue; its lease will run out", claimed.Id);
            return false;
        }
    }

    /// <summary>The job row's next state, guarded by its ETag, if our claim still holds it.</summary>
    private async Task<IReadOnlyList<TableOperation>?> NextIfStillOursAsync(JobRecord claimed, Func<JobRecord, JobRecord> next,
        CancellationToken ct)
    {
        var current = await ReadAsync(claimed.UserId, claimed.Id, ct);
        if (current is null || current.State != JobStates.Running || current.Claim != claimed.Claim) return null;
        return [TableOperation.Replace(next(current).ToEntity(), current.ETag ?? "*")];
    }

    private async Task<string?> UserOfAsync(string jobId, CancellationToken ct) =>
        (await store.GetAsync(JobsService.LookupTable, jobId, JobsService.LookupRow, ct))?.GetString("user_id");

    private async Task<JobRecord?> ReadAsync(string userId, string jobId, CancellationToken ct) =>
        await store.GetAsync(Table, userId, JobRecord.RowKey(jobId), ct) is { } row ? JobRecord.FromEntity(row) : null;
}
