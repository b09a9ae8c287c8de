using Wati.Platform.Data;

namespace Wati.Tests.Metrics;

/// <summary>
/// A table store over a real one that can pause or fail chosen calls: <see cref="BeforeBatch"/> runs before
/// each batch (await a gate in it, or throw), <see cref="FailTable"/> makes every write to one table throw.
/// Table names get <see cref="Prefix"/> so tests sharing one Azurite do not see each other's rows.
/// </summary>
public sealed class ScriptedTableStore(ITableStore inner, string prefix = "") : ITableStore
{
    public string Prefix { get; } = prefix;
    public Func<string, IReadOnlyList<TableOperation>, Task>? BeforeBatch { get; set; }
    public string? FailTable { get; set; }

    private string T(string table) => Prefix + table;

    private void Check(string table)
    {
        if (FailTable == table) throw new TableStoreException(503, $"scripted: the store is down for '{table}'");
    }

    public Task<TableEntity?> GetAsync(string table, string pk, string rk, CancellationToken ct = default) => inner.GetAsync(T(table), pk, rk, ct);

    public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken ct = default)
    {
        Check(table);
        return inner.InsertAsync(T(table), entity, ct);
    }

    public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken ct = default)
    {
        Check(table);
        return inner.UpsertAsync(T(table), entity, ct);
    }

    public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken ct = default)
    {
        Check(table);
        return inner.ReplaceAsync(T(table), entity, ifMatch, ct);
    }

    public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken ct = default)
    {
        Check(table);
        return inner.MergeAsync(T(table), entity, ifMatch, ct);
    }

    public Task<bool> DeleteAsync(string table, string pk, string rk, string ifMatch = "*", CancellationToken ct = default)
    {
        Check(table);
        return inner.DeleteAsync(T(table), pk, rk, ifMatch, ct);
    }

    public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken ct = default) => inner.QueryAsync(T(table), query, ct);

    public async Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken ct = default)
    {
        Check(table);
        if (BeforeBatch is { } before) await before(table, operations);
        return await inner.ExecuteBatchAsync(T(table), operations, ct);
    }
}
