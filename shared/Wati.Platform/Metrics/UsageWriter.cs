using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Data;
using Wati.Platform.Jobs;

namespace Wati.Platform.Metrics;

/// <summary>
/// Writes what <see cref="UsageRecorder"/> took to the <c>usage</c> table, per bucket partition first the bucket's
/// index row (so the publisher can find it), then the rows. Every <see cref="MetricsOptions.TallySeconds"/> (and
/// at shutdown) the call tallies: one row per route (more for a huge histogram, <see cref="UsageRows"/>) with RK
/// <c>{instance}_{flush}_{row}</c>, unique per process and flush. As jobs finish, one row each (RK
/// <c>job_{id}</c>, upserted). A write the store refuses is dropped and its calls counted, never retried:
/// memory stays bounded and the calls being recorded never wait for the store.
/// </summary>
public sealed class UsageWriter(
    UsageRecorder recorder, ITableStore store, IOptions<MetricsOptions> options, TimeProvider time, ILogger<UsageWriter> logger)
    : BackgroundService
{
    /// <summary>Finished jobs taken from the buffer per round.</summary>
    private const int RoundSize = 1000;

    private long _flushes;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WriteJobsAsync(stoppingToken), WriteTalliesAsync(stoppingToken));

    private async Task WriteTalliesAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(options.Value.TallySeconds);
        Task<bool>? requested = null;
        try
        {
            while (true)
            {
                requested ??= recorder.FlushRequests.WaitToReadAsync(stoppingToken).AsTask();
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    var delay = Task.Delay(period, time, tick.Token);
                    var first = await Task.WhenAny(requested, delay);
                    await tick.CancelAsync();
                    await first; // throws when stopping
                    if (first == requested)
                    {
                        requested = null;
                        while (recorder.FlushRequests.TryRead(out _)) { }
                    }
                }
                await FlushTalliesAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is tallied now is still written, briefly, below.
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await FlushTalliesAsync(last.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Usage tallied at shutdown was not written");
        }
    }

    private async Task FlushTalliesAsync(CancellationToken ct)
    {
        var taken = recorder.TakeTallies();
        if (taken.Count == 0) return;
        var flush = Interlocked.Increment(ref _flushes);
        var row = 0;
        foreach (var bucket in taken.GroupBy(t => t.BucketStart))
        {
            var key = UsageBuckets.Key(DateTimeOffset.FromUnixTimeSeconds(bucket.Key));
            var rows = bucket.SelectMany(t => UsageRows.ToRows(key, t.Tally, _ => $"{recorder.InstanceId}_{flush}_{row++}")).ToList();
            await WriteBucketAsync(key, rows.Select(r => (TableOperation.Insert(r.Row), r.Calls)).ToList(), ct);
        }
    }

    private async Task WriteJobsAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await recorder.FinishedJobs.WaitToReadAsync(stoppingToken))
                await WriteJobRoundAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is buffered now is still written, briefly, below.
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (recorder.FinishedJobs.TryPeek(out _)) await WriteJobRoundAsync(last.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Finished jobs still buffered at shutdown were not written to usage");
        }
    }

    private async Task WriteJobRoundAsync(CancellationToken ct)
    {
        var events = new List<UsageEvent>();
        for (var i = 0; i < RoundSize && recorder.FinishedJobs.TryRead(out var jobId); i++)
            if (await JobEventAsync(jobId, ct) is { } e) events.Add(e);

        var bucketSeconds = options.Value.BucketSeconds;
        foreach (var group in events.GroupBy(e => UsageBuckets.Key(UsageBuckets.StartOf(e.At, bucketSeconds))))
            // Upserts: a job's row has a fixed key (its job id), so recording it twice stores it once.
            await WriteBucketAsync(group.Key, group.Select(e => (TableOperation.Upsert(e.ToEntity(group.Key)), 1L)).ToList(), ct);
    }

    // The bucket's index row, then its rows in atomic batches within the store's limits (100 operations, 4 MiB);
    // what a failed write carried is dropped and counted in calls and jobs.
    private async Task WriteBucketAsync(string bucket, List<(TableOperation Op, long Calls)> rows, CancellationToken ct)
    {
        try
        {
            await store.UpsertAsync(TableNames.Usage, UsageIndex.Row(bucket), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            recorder.CountDropped(rows.Sum(r => r.Calls), e);
            return;
        }
        foreach (var chunk in Batches(rows))
        {
            var calls = chunk.Sum(r => r.Calls);
            try
            {
                await store.ExecuteBatchAsync(TableNames.Usage, chunk.Select(r => r.Op).ToList(), ct);
                recorder.CountWritten(calls);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                recorder.CountDropped(calls, e);
            }
        }
    }

    private static IEnumerable<List<(TableOperation Op, long Calls)>> Batches(List<(TableOperation Op, long Calls)> rows)
    {
        var chunk = new List<(TableOperation, long)>();
        long size = 0;
        foreach (var row in rows)
        {
            var rowSize = TableStoreRules.BatchSize([row.Op]);
            if (chunk.Count > 0 && (chunk.Count == TableStoreRules.MaxBatchOperations || size + rowSize > TableStoreRules.MaxBatchBytes))
            {
                yield return chunk;
                (chunk, size) = ([], 0);
            }
            chunk.Add(row);
            size += rowSize;
        }
        if (chunk.Count > 0) yield return chunk;
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
/// The <c>usage</c> table's index of buckets that have (or had) rows: partition <see cref="Partition"/>, one
/// row per bucket key, written before the bucket's rows and removed once the bucket is published.
/// </summary>
public static class UsageIndex
{
    /// <summary>Cannot clash with a bucket key, which starts with a digit.</summary>
    public const string Partition = "buckets";

    public static TableEntity Row(string bucket) => new(Partition, bucket);
}
