using Wati.Platform.Data;
using Wati.Platform.Jobs.Queue;

namespace Wati.Tests.Jobs;

/// <summary>
/// A hook a test sets to stand between two steps of the code under test: it runs before the wrapped
/// call and may pause it (await a gate), inspect the world at that instant, or throw (the process
/// "dies" there). Null: pass straight through.
/// </summary>
public delegate Task StepHook(string step);

/// <summary>The real table store with a hook before every batch (the charge, settle and refund are batches).</summary>
public sealed class ScriptedTableStore(ITableStore inner) : ITableStore
{
    /// <summary>Runs before each batch; the step is <c>batch:{table}:{first row key}</c>.</summary>
    public Func<string, IReadOnlyList<TableOperation>, Task>? BeforeBatch { get; set; }

    /// <summary>Runs after each batch committed (throwing there is an answer lost after the commit).</summary>
    public Func<string, IReadOnlyList<TableOperation>, Task>? AfterBatch { get; set; }

    public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
        inner.GetAsync(table, partitionKey, rowKey, cancellationToken);

    public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        inner.InsertAsync(table, entity, cancellationToken);

    public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        inner.UpsertAsync(table, entity, cancellationToken);

    public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) =>
        inner.ReplaceAsync(table, entity, ifMatch, cancellationToken);

    public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) =>
        inner.MergeAsync(table, entity, ifMatch, cancellationToken);

    public Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*",
        CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(table, partitionKey, rowKey, ifMatch, cancellationToken);

    public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken cancellationToken = default) =>
        inner.QueryAsync(table, query, cancellationToken);

    public async Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations,
        CancellationToken cancellationToken = default)
    {
        if (BeforeBatch is { } hook) await hook(table, operations);
        var etags = await inner.ExecuteBatchAsync(table, operations, cancellationToken);
        if (AfterBatch is { } after) await after(table, operations);
        return etags;
    }
}

/// <summary>The real queue producer with a hook before every send.</summary>
public sealed class ScriptedProducer(IJobQueueProducer inner) : IJobQueueProducer
{
    public Func<string, QueueMessage, Task>? BeforeEnqueue { get; set; }

    public int Sent;

    public async Task<bool> EnqueueAsync(string queue, QueueMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        if (BeforeEnqueue is { } hook) await hook(queue, message);
        Interlocked.Increment(ref Sent);
        return await inner.EnqueueAsync(queue, message, delay, cancellationToken);
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) => inner.IsReadyAsync(cancellationToken);
}
