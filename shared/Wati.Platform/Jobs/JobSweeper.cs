using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Data;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

/// <summary>What the sweeper does about one active job.</summary>
public enum SweepAction
{
    /// <summary>Nothing: it is moving.</summary>
    None,

    /// <summary>Its message was never sent, or was sent long ago without progress, or its worker was lost: send it (again).</summary>
    Send,

    /// <summary>Its worker was lost on the last allowed attempt: fail and refund it.</summary>
    Fail,

    /// <summary>A submit that never charged: delete its inputs and refuse a late charge.</summary>
    Abandon,

    /// <summary>It is finished: drop its index entry.</summary>
    Remove,
}

/// <summary>An active job that needs the sweeper, and why (<paramref name="Reason"/>, a short English phrase).</summary>
public sealed record StuckJob(string JobId, string UserId, string Model, string? State, SweepAction Action, string Reason,
    DateTimeOffset CreatedAt, DateTimeOffset? EnqueuedAt, DateTimeOffset? LeaseUntil, int Attempts);

/// <summary>Counts of what one sweep did.</summary>
public sealed record SweepReport(int Checked, int Sent, int Failed, int Abandoned, int Removed);

/// <summary>
/// Finds what slipped through (docs/decisions/0005): a charged job whose message was never sent, a queued
/// job whose message was lost, a job whose worker died (lease passed), a submit that died before
/// charging. It reads only the active-job index, never every user's partition. Every action is guarded
/// by the job row's ETag or is harmless when repeated (a duplicate message), so sweepers may run in
/// several processes at once. The server runs it on a timer; in Azure, a timer function does.
/// </summary>
public sealed class JobSweeper(
    ITableStore store,
    ActiveJobIndex index,
    JobsService jobs,
    JobProcessor processor,
    IObjectStore objects,
    TimeProvider time,
    IOptions<JobsOptions> options,
    ILogger<JobSweeper> logger)
{
    /// <summary>A charged job's message is normally sent within milliseconds; after this the sweeper sends it.</summary>
    public static readonly TimeSpan SendGrace = TimeSpan.FromSeconds(5);

    private JobsOptions Options => options.Value;

    private TimeSpan RequeueAfter => TimeSpan.FromSeconds(Options.RequeueAfterSeconds > 0 ? Options.RequeueAfterSeconds : Options.LeaseSeconds);

    /// <summary>One pass over the active-job index.</summary>
    public async Task<SweepReport> SweepAsync(CancellationToken ct)
    {
        int seen = 0, sent = 0, failed = 0, abandoned = 0, removed = 0;
        await foreach (var entry in index.ListAsync(ct))
        {
            seen++;
            try
            {
                var (stuck, job) = await ClassifyAsync(entry, ct);
                switch (stuck.Action)
                {
                    case SweepAction.Send:
                        logger.LogInformation("Sweeper: sending job {JobId} again ({Reason})", entry.JobId, stuck.Reason);
                        await jobs.SendAsync(entry.JobId, entry.Model, ct);
                        sent++;
                        break;
                    case SweepAction.Fail:
                        if (await processor.FailUnattendedAsync(job!, $"the job's worker stopped on its last attempt ({job!.Attempts}); credits were refunded", ct))
                        {
                            logger.LogWarning("Sweeper: job {JobId} failed and was refunded ({Reason})", entry.JobId, stuck.Reason);
                            failed++;
                        }
                        break;
                    case SweepAction.Abandon:
                        if (await AbandonSubmitAsync(entry, ct)) abandoned++;
                        break;
                    case SweepAction.Remove:
                        await index.RemoveAsync(entry.JobId, ct);
                        removed++;
                        break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Sweeper: could not handle job {JobId}; it is looked at again next time", entry.JobId);
            }
        }
        return new SweepReport(seen, sent, failed, abandoned, removed);
    }

    /// <summary>The active jobs that need the sweeper now (for the admin route), oldest job id first.</summary>
    public async Task<IReadOnlyList<StuckJob>> ListStuckAsync(CancellationToken ct)
    {
        var stuck = new List<StuckJob>();
        await foreach (var entry in index.ListAsync(ct))
        {
            var (verdict, _) = await ClassifyAsync(entry, ct);
            if (verdict.Action != SweepAction.None) stuck.Add(verdict);
        }
        return stuck;
    }

    private async Task<(StuckJob Verdict, JobRecord? Job)> ClassifyAsync(ActiveJobEntry entry, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var job = await jobs.FindAsync(entry.UserId, entry.JobId, ct);
        StuckJob Verdict(SweepAction action, string reason) => new(entry.JobId, entry.UserId, entry.Model, job?.State, action, reason,
            entry.CreatedAt, entry.EnqueuedAt, job?.LeaseUntil, job?.Attempts ?? 0);

        if (job is null)
            return (now - entry.CreatedAt > TimeSpan.FromSeconds(Options.AbandonSubmitAfterSeconds)
                ? Verdict(SweepAction.Abandon, "the submit never charged")
                : Verdict(SweepAction.None, "being submitted"), null);
        if (JobStates.IsFinished(job.State)) return (Verdict(SweepAction.Remove, "finished"), job);
        if (job.IsHeldAt(now)) return (Verdict(SweepAction.None, "running"), job);

        if (job.State == JobStates.Queued)
        {
            if (entry.EnqueuedAt is null)
                return (now - entry.CreatedAt > SendGrace ? Verdict(SweepAction.Send, "charged but never sent") : Verdict(SweepAction.None, "being sent"), job);
            return (now - entry.EnqueuedAt > RequeueAfter
                ? Verdict(SweepAction.Send, "queued without progress since its message was sent")
                : Verdict(SweepAction.None, "queued"), job);
        }

        // Running, but the lease ran out: the worker is gone.
        if (job.CancelRequested) return (Verdict(SweepAction.Fail, "worker lost after a cancel was asked for"), job);
        if (job.Attempts >= Options.MaxAttempts) return (Verdict(SweepAction.Fail, "worker lost on the last attempt"), job);
        var sentSinceLost = entry.EnqueuedAt is { } sentAt && sentAt >= job.LeaseUntil && now - sentAt <= RequeueAfter;
        return (sentSinceLost ? Verdict(SweepAction.None, "worker lost; sent again") : Verdict(SweepAction.Send, "worker lost"), job);
    }

    /// <summary>
    /// Writes a failed, uncharged job row first, so that a charge still in flight for this id fails on it
    /// (its insert of the job row conflicts) and nothing is charged; then deletes the inputs and entries.
    /// </summary>
    private async Task<bool> AbandonSubmitAsync(ActiveJobEntry entry, CancellationToken ct)
    {
        var tombstone = new JobRecord
        {
            Id = entry.JobId, UserId = entry.UserId, Model = entry.Model, State = JobStates.Failed,
            Params = System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone(), Inputs = new Dictionary<string, string>(),
            Price = 0, Refunded = true, ErrorCode = "PROCESSING_ERROR", ErrorStatus = 500,
            ErrorMessage = "the submit did not complete; nothing was charged", CreatedAt = entry.CreatedAt, FinishedAt = time.GetUtcNow(),
        };
        try
        {
            await store.InsertAsync(JobsService.UsersTable, tombstone.ToEntity(), ct);
        }
        catch (TableStoreException e) when (e.IsConflict)
        {
            return false; // The charge won after all: the job is real and is swept like any other.
        }
        logger.LogWarning("Sweeper: abandoned job {JobId}, whose submit never charged", entry.JobId);
        foreach (var key in entry.InputKeys) await objects.DeleteAsync(key, ct);
        await store.DeleteAsync(JobsService.LookupTable, entry.JobId, JobsService.LookupRow, "*", ct);
        await index.RemoveAsync(entry.JobId, ct);
        return true;
    }
}
