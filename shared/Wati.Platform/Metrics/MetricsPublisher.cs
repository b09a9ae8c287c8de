using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Data;

namespace Wati.Platform.Metrics;

/// <summary>What one publisher run did: buckets it published, found already published, and left open.</summary>
public sealed record PublishReport(int Published, int AlreadyDone, int Open);

/// <summary>
/// Aggregates every closed usage bucket not yet published into <c>metrics</c> rows and pushes them to the
/// sinks (design section 12). Host-agnostic: the server runs it on a timer, the Functions app from a
/// TimerTrigger. Safe to run twice, concurrently, or after a crash mid-run: the aggregates are a pure
/// function of the bucket's usage rows (call tallies and job rows) and the bucket's done mark is inserted (insert-once) in the same
/// atomic batch as its last aggregates (docs/decisions/0008-metrics-exactly-once.md).
/// </summary>
public sealed class MetricsPublisher(
    ITableStore store, IEnumerable<IMetricsSink> sinks, IOptions<MetricsOptions> options, TimeProvider time, ILogger<MetricsPublisher> logger)
{
    /// <summary>Publishes every bucket that ended at least <see cref="MetricsOptions.SettleSeconds"/> ago.</summary>
    /// <exception cref="TableStoreException">The store failed; nothing half-done stays wrong, the next run finishes it.</exception>
    public async Task<PublishReport> PublishAsync(CancellationToken ct)
    {
        var o = options.Value;
        var closedBefore = time.GetUtcNow() - TimeSpan.FromSeconds(o.BucketSeconds + o.SettleSeconds);
        int published = 0, done = 0, open = 0;
        foreach (var index in await ReadAllAsync(TableNames.Usage, new TableQuery(UsageIndex.Partition), ct))
        {
            if (!UsageBuckets.TryParse(index.RowKey, out var start)) continue;
            if (start > closedBefore)
            {
                open++;
                continue;
            }
            if (await PublishBucketAsync(index.RowKey, start, o.BucketSeconds, ct)) published++;
            else done++;
            // ETag-guarded: an index row a late event wrote again after we read it stays, so the next run sees the late event.
            try
            {
                await store.DeleteAsync(TableNames.Usage, UsageIndex.Partition, index.RowKey, index.ETag ?? "*", ct);
            }
            catch (TableStoreException e) when (e.IsPreconditionFailed)
            {
            }
        }
        return new PublishReport(published, done, open);
    }

    /// <summary>True when this run published the bucket; false when it had been published already.</summary>
    private async Task<bool> PublishBucketAsync(string bucket, DateTimeOffset start, int bucketSeconds, CancellationToken ct)
    {
        var partition = MetricAggregate.Partition(start);
        var merged = UsageTally.MergeByName((await ReadAllAsync(TableNames.Usage, new TableQuery(bucket), ct)).Select(UsageRows.FromRow));
        var calls = merged.Sum(t => t.Count); // calls and jobs, however many rows carried them
        if (await store.GetAsync(TableNames.Metrics, partition, bucket, ct) is { } mark)
        {
            if (calls > (mark.GetInt64("events") ?? 0))
                logger.LogWarning("Bucket {Bucket} got {Late} calls or jobs after it was published; they are not in its metrics",
                    bucket, calls - (mark.GetInt64("events") ?? 0));
            return false;
        }

        var aggregates = merged.Select(t => MetricAggregate.From(start, bucketSeconds, t)).ToList();
        var ops = aggregates.Select(a => TableOperation.Upsert(a.ToEntity())).ToList();
        var doneMark = new TableEntity(partition, bucket)
            .With("events", calls).With("rows", (long)aggregates.Count).With("published_at", time.GetUtcNow());
        // All but the last 99 aggregates first (identical values on a re-run, so harmless), then the rest with the
        // insert-once done mark: a bucket is marked done only with all its rows, and only once.
        var lastChunk = ops.Count % 99 == 0 && ops.Count > 0 ? 99 : ops.Count % 99;
        foreach (var chunk in ops.Take(ops.Count - lastChunk).Chunk(100))
            await store.ExecuteBatchAsync(TableNames.Metrics, chunk, ct);
        var final = ops.Skip(ops.Count - lastChunk).Append(TableOperation.Insert(doneMark)).ToList();
        try
        {
            await store.ExecuteBatchAsync(TableNames.Metrics, final, ct);
        }
        catch (TableStoreException e) when (e.IsConflict && e.FailedIndex == final.Count - 1)
        {
            return false; // Another publisher marked it between our check and our batch; its rows are the same.
        }

        foreach (var sink in sinks)
        {
            try
            {
                await sink.PushAsync(aggregates, merged, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Metrics sink {Sink} failed for bucket {Bucket}; the table has it", sink.Name, bucket);
            }
        }
        return true;
    }

    private async Task<List<TableEntity>> ReadAllAsync(string table, TableQuery query, CancellationToken ct)
    {
        var rows = new List<TableEntity>();
        string? token = null;
        do
        {
            var page = await store.QueryAsync(table, query with { ContinuationToken = token }, ct);
            rows.AddRange(page.Items);
            token = page.ContinuationToken;
        } while (token is not null);
        return rows;
    }
}

/// <summary>
/// Where published buckets go besides the <c>metrics</c> table (which is always written, as the commit).
/// Called once per bucket, by the publisher that marked it done; a failing sink is logged, not retried.
/// </summary>
public interface IMetricsSink
{
    string Name { get; }

    /// <summary>
    /// Pushes one bucket's <paramref name="aggregates"/>; <paramref name="tallies"/> are what they were computed from,
    /// the bucket's usage rows merged per kind and name in the same order (for the full duration histograms).
    /// </summary>
    Task PushAsync(IReadOnlyList<MetricAggregate> aggregates, IReadOnlyList<UsageTally> tallies, CancellationToken ct);
}
