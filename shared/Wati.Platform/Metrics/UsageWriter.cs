using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Data;
using Wati.Platform.Jobs;

namespace Wati.Platform.Metrics;

/// <summary>
/// Drains <see cref="UsageRecorder"/>'s buffer into the <c>usage</c> table: per bucket partition, first the
/// bucket's index row (so the publisher can find it), then the events in atomic batches of at most 100.
/// A batch the store refuses is dropped and counted, never retried: the buffer stays bounded and the
/// calls being recorded never wait for the store.
/// </summary>
public sealed class UsageWriter(
    UsageRecorder recorder, ITableStore store, IOptions<MetricsOptions> options, TimeProvider time, ILogger<UsageWriter> logger)
    : BackgroundService
{
    /// <summary>Items taken from the buffer per round.</summary>
    private const int RoundSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await recorder.Reader.WaitToReadAsync(stoppingToken))
                await WriteRoundAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is buffered now is still written, briefly, below.
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (recorder.Reader.TryPeek(out _)) await WriteRoundAsync(last.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Usage events still buffered at shutdown were not written");
        }
    }

    private async Task WriteRoundAsync(CancellationToken ct)
    {
        var items = new List<UsageItem>();
        while (items.Count < RoundSize && recorder.Reader.TryRead(out var item)) items.Add(item);

        var events = new List<UsageEvent>(items.Count);
        foreach (var item in items)
        {
            if (item.Event is not null) events.Add(item.Event);
            else if (await JobEventAsync(item.JobId!, ct) is { } e) events.Add(e);
        }

        var bucketSeconds = options.Value.BucketSeconds;
        foreach (var group in events.GroupBy(e => UsageBuckets.Key(UsageBuckets.StartOf(e.At, bucketSeconds))))
        {
            var list = group.ToList();
            try
            {
                await store.UpsertAsync(TableNames.Usage, UsageIndex.Row(group.Key), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                recorder.CountDropped(list.Count, e);
                continue;
            }
            foreach (var chunk in list.Chunk(100))
            {
                try
                {
                    // Upserts: a job's event has a fixed key (its job id), so recording it twice stores it once.
                    await store.ExecuteBatchAsync(TableNames.Usage, chunk.Select(e => TableOperation.Upsert(e.ToEntity(group.Key))).ToList(), ct);
                    recorder.CountWritten(chunk.Length);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    recorder.CountDropped(chunk.Length, e);
                }
            }
        }
    }

    // A finished job's event, from its row (the truth about its final state and net charge).
    private async Task<UsageEvent?> JobEventAsync(string jobId, CancellationToken ct)
    {
        try
        {
            var userId = (await store.GetAsync(JobsService.LookupTable, jobId, JobsService.LookupRow, ct))?.GetString("user_id");
            var row = userId is null ? null : await store.GetAsync(JobsService.UsersTable, userId, JobRecord.RowKey(jobId), ct);
            if (row is null || JobRecord.FromEntity(row) is not { } job || !JobStates.IsFinished(job.State))
            {
                recorder.CountDropped(1, null);
                return null;
            }
            var finished = job.FinishedAt ?? time.GetUtcNow();
            var duration = job.StartedAt is { } started && finished > started ? finished - started : TimeSpan.Zero;
            return new UsageEvent("job_" + job.Id, UsageKinds.Model, job.Model, null, job.ErrorStatus, job.State,
                job.State == JobStates.Failed, (long)Math.Round(duration.TotalMilliseconds), job.NetCharge, job.UserId, finished);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            recorder.CountDropped(1, e);
            return null;
        }
    }
}

/// <summary>
/// The <c>usage</c> table's index of buckets that have (or had) events: partition <see cref="Partition"/>, one
/// row per bucket key, written before the bucket's events and removed once the bucket is published.
/// </summary>
public static class UsageIndex
{
    /// <summary>Cannot clash with a bucket key, which starts with a digit.</summary>
    public const string Partition = "buckets";

    public static TableEntity Row(string bucket) => new(Partition, bucket);
}
