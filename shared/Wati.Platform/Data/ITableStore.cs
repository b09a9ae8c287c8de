namespace Wati.Platform.Data;

/// <summary>
/// The table-store port (design section 6): entities addressed by partition key and row key, with
/// ETags for optimistic concurrency, row-key range queries inside one partition, and atomic batches
/// inside one partition. Shaped after Azure Table Storage so that its adapter is a thin mapping;
/// the embedded backend is SQLite.
/// </summary>
/// <remarks>
/// Failures that callers act on are <see cref="TableStoreException"/> with an HTTP-like status:
/// 404 (not found), 409 (insert of an existing entity), 412 (If-Match failed).
/// Tables are created on first use. Every backend enforces Azure's limits before writing anything
/// (<see cref="TableStoreRules"/>): keys ≤ 1 KiB, 64 KiB per string or binary property, 1 MiB per
/// entity, and per batch ≤ 100 operations, ≤ 4 MiB, one partition; a breach is an <see cref="ArgumentException"/>.
/// Property values: string, long (int is stored as long), bool, double, byte[], and times
/// (<see cref="DateTimeOffset"/> or <see cref="DateTime"/> of any kind), always read back as UTC
/// <see cref="DateTimeOffset"/> (<see cref="PropertyValues"/>).
/// </remarks>
public interface ITableStore
{
    Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken = default);

    /// <summary>Inserts a new entity; 409 if it exists. Returns the new ETag.</summary>
    Task<string> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces, unconditionally. Returns the new ETag.</summary>
    Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default);

    /// <summary>Replaces all properties when <paramref name="ifMatch"/> matches ("*" = any); 404 / 412 otherwise.</summary>
    Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default);

    /// <summary>Merges the given properties into the stored ones when <paramref name="ifMatch"/> matches ("*" = any).</summary>
    Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default);

    /// <summary>Deletes when <paramref name="ifMatch"/> matches; returns false when there was nothing to delete.</summary>
    Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a partition, ordered by row key ascending (ordinal). Follow
    /// <see cref="TablePage.ContinuationToken"/> until it is null.
    /// </summary>
    Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs all operations atomically: all succeed or none is applied. All must share one partition
    /// key (else <see cref="ArgumentException"/>), at most 100 operations and 4 MiB, each row key at most once.
    /// On failure throws <see cref="TableStoreException"/> with <see cref="TableStoreException.FailedIndex"/>.
    /// Returns the new ETag of each operation (empty string for deletes).
    /// </summary>
    Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken = default);
}

/// <summary>A range query inside one partition: row keys in [<see cref="RowKeyFrom"/>, <see cref="RowKeyTo"/>).</summary>
public sealed record TableQuery(string PartitionKey)
{
    /// <summary>Inclusive lower bound; null = from the start.</summary>
    public string? RowKeyFrom { get; init; }

    /// <summary>Exclusive upper bound; null = to the end.</summary>
    public string? RowKeyTo { get; init; }

    /// <summary>Page size, 1..1000.</summary>
    public int Take { get; init; } = 1000;

    public string? ContinuationToken { get; init; }

    /// <summary>
    /// All row keys starting with <paramref name="prefix"/>: from the prefix up to its ordinal successor
    /// (<see cref="PrefixSuccessor"/>), so no row key is missed whatever characters follow the prefix.
    /// </summary>
    public static TableQuery Prefix(string partitionKey, string prefix) => new(partitionKey)
    {
        RowKeyFrom = prefix,
        RowKeyTo = PrefixSuccessor(prefix),
    };

    /// <summary>
    /// The smallest string (ordinal, UTF-16 code units) greater than every string starting with
    /// <paramref name="prefix"/>; null when there is none (empty prefix, or only U+FFFF). The last code
    /// unit is incremented after dropping trailing U+FFFF; when that would split a surrogate pair (a
    /// last U+DFFF), the pair's high surrogate is incremented instead, so the bound stays valid UTF-16
    /// and survives the trip to a real service.
    /// </summary>
    public static string? PrefixSuccessor(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var end = prefix.Length;
        while (end > 0 && prefix[end - 1] == '\uffff') end--;
        if (end == 0) return null;
        var last = prefix[end - 1];
        if (last == '\udfff' && end >= 2 && char.IsHighSurrogate(prefix[end - 2]))
        {
            var high = prefix[end - 2];
            return high == '\udbff'
                ? PrefixSuccessor(prefix[..(end - 2)])
                : string.Concat(prefix.AsSpan(0, end - 2), [(char)(high + 1), '\udc00']);
        }
        return string.Concat(prefix.AsSpan(0, end - 1), [(char)(last + 1)]);
    }
}

public sealed record TablePage(IReadOnlyList<TableEntity> Items, string? ContinuationToken);

public enum TableOperationKind { Insert, Upsert, Replace, Merge, Delete }

public sealed record TableOperation(TableOperationKind Kind, TableEntity Entity, string IfMatch = "*")
{
    public static TableOperation Insert(TableEntity e) => new(TableOperationKind.Insert, e);
    public static TableOperation Upsert(TableEntity e) => new(TableOperationKind.Upsert, e);
    public static TableOperation Replace(TableEntity e, string ifMatch) => new(TableOperationKind.Replace, e, ifMatch);
    public static TableOperation Merge(TableEntity e, string ifMatch) => new(TableOperationKind.Merge, e, ifMatch);
    public static TableOperation Delete(string pk, string rk, string ifMatch = "*") => new(TableOperationKind.Delete, new TableEntity(pk, rk), ifMatch);
}

/// <summary>One exception type carrying the status, as the Azure SDK does.</summary>
public sealed class TableStoreException(int status, string message, int? failedIndex = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>For batches: which operation failed.</summary>
    public int? FailedIndex { get; } = failedIndex;

    public bool IsNotFound => Status == 404;
    public bool IsConflict => Status == 409;
    public bool IsPreconditionFailed => Status == 412;
}
