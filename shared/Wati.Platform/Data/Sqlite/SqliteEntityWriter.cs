using Microsoft.Data.Sqlite;

namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// The write operations, each run inside a transaction the caller already holds with
/// BEGIN IMMEDIATE, so the ETag check and the write it guards see the same state.
/// </summary>
internal sealed class SqliteEntityWriter(SqliteSession session, SqliteTransaction transaction, string table)
{
    /// <summary>Returns the new ETag, or "" for deletes; throws <see cref="TableStoreException"/>.</summary>
    public string Apply(TableOperation op) => op.Kind switch
    {
        TableOperationKind.Insert => Insert(op.Entity),
        TableOperationKind.Upsert => Upsert(op.Entity),
        TableOperationKind.Replace => Replace(op.Entity, op.IfMatch),
        TableOperationKind.Merge => Merge(op.Entity, op.IfMatch),
        TableOperationKind.Delete => Delete(op.Entity.PartitionKey, op.Entity.RowKey, op.IfMatch)
            ? "" : throw NotFound(op.Entity.PartitionKey, op.Entity.RowKey),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown operation kind."),
    };

    public string Insert(TableEntity entity)
    {
        var etag = ETags.New();
        var changed = Execute(
            "INSERT INTO entities (tbl, pk, rk, etag, props) VALUES ($tbl, $pk, $rk, $etag, $props) ON CONFLICT DO NOTHING",
            entity.PartitionKey, entity.RowKey, etag, PropertyCodec.Encode(entity.Properties));
        return changed == 1 ? etag
            : throw new TableStoreException(409, $"Entity ({entity.PartitionKey}, {entity.RowKey}) already exists in '{table}'.");
    }

    public string Upsert(TableEntity entity)
    {
        var etag = ETags.New();
        Execute(
            "INSERT INTO entities (tbl, pk, rk, etag, props) VALUES ($tbl, $pk, $rk, $etag, $props) " +
            "ON CONFLICT DO UPDATE SET etag = excluded.etag, props = excluded.props",
            entity.PartitionKey, entity.RowKey, etag, PropertyCodec.Encode(entity.Properties));
        return etag;
    }

    public string Replace(TableEntity entity, string ifMatch) =>
        Update(entity.PartitionKey, entity.RowKey, ifMatch, PropertyCodec.Encode(entity.Properties));

    public string Merge(TableEntity entity, string ifMatch)
    {
        var stored = Read(entity.PartitionKey, entity.RowKey) ?? throw NotFound(entity.PartitionKey, entity.RowKey);
        foreach (var (name, value) in entity.Properties)
        {
            // Null means "not mentioned", as with Azure, where a null property is not sent at all.
            if (value is not null) stored.Properties[name] = value;
        }
        return Update(entity.PartitionKey, entity.RowKey, ifMatch, PropertyCodec.Encode(stored.Properties));
    }

    /// <summary>False when the row is missing; 412 when it exists under another ETag.</summary>
    public bool Delete(string partitionKey, string rowKey, string ifMatch)
    {
        var changed = Execute(
            "DELETE FROM entities WHERE tbl = $tbl AND pk = $pk AND rk = $rk AND ($ifMatch = '*' OR etag = $ifMatch)",
            partitionKey, rowKey, ifMatch: ifMatch);
        if (changed == 1) return true;
        return Exists(partitionKey, rowKey) ? throw PreconditionFailed(partitionKey, rowKey) : false;
    }

    private string Update(string partitionKey, string rowKey, string ifMatch, string props)
    {
        var etag = ETags.New();
        var changed = Execute(
            "UPDATE entities SET etag = $etag, props = $props " +
            "WHERE tbl = $tbl AND pk = $pk AND rk = $rk AND ($ifMatch = '*' OR etag = $ifMatch)",
            partitionKey, rowKey, etag, props, ifMatch);
        if (changed == 1) return etag;
        throw Exists(partitionKey, rowKey) ? PreconditionFailed(partitionKey, rowKey) : NotFound(partitionKey, rowKey);
    }

    private TableEntity? Read(string partitionKey, string rowKey) => Read(session, table, partitionKey, rowKey);

    /// <summary>One row of <paramref name="table"/>, or null: the store's point read, also used inside a write's transaction.</summary>
    public static TableEntity? Read(SqliteSession session, string table, string partitionKey, string rowKey)
    {
        TableEntity? entity = null;
        session.ReadPoint(table, partitionKey, OrdinalKey.Encode(rowKey), (etag, props) =>
        {
            entity = new TableEntity(partitionKey, rowKey) { ETag = etag };
            PropertyCodec.DecodeInto(props, entity.Properties);
        });
        return entity;
    }

    private bool Exists(string partitionKey, string rowKey)
    {
        var command = Command("SELECT 1 FROM entities WHERE tbl = $tbl AND pk = $pk AND rk = $rk", partitionKey, rowKey);
        return command.ExecuteScalar() is not null;
    }

    private int Execute(string sql, string partitionKey, string rowKey, string? etag = null, string? props = null, string? ifMatch = null)
    {
        var command = Command(sql, partitionKey, rowKey, etag, props, ifMatch);
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// The session's prepared command for <paramref name="sql"/>: <c>$tbl, $pk, $rk</c>, then whichever of
    /// <c>$etag, $props, $ifMatch</c> are given (a statement always uses the same ones).
    /// </summary>
    private SqliteCommand Command(string sql, string partitionKey, string rowKey, string? etag = null, string? props = null, string? ifMatch = null)
    {
        Span<string> names = ["$tbl", "$pk", "$rk", "", "", ""];
        Span<object?> values = [table, partitionKey, OrdinalKey.Encode(rowKey), null, null, null];
        var n = 3;
        if (etag is not null) { names[n] = "$etag"; values[n++] = etag; }
        if (props is not null) { names[n] = "$props"; values[n++] = props; }
        if (ifMatch is not null) { names[n] = "$ifMatch"; values[n++] = ifMatch; }
        var command = session.Command(sql, transaction, names[..n]);
        for (var i = 0; i < n; i++) command.Parameters[i].Value = values[i];
        return command;
    }

    private TableStoreException NotFound(string pk, string rk) => new(404, $"Entity ({pk}, {rk}) not found in '{table}'.");

    private TableStoreException PreconditionFailed(string pk, string rk) => new(412, $"ETag mismatch for entity ({pk}, {rk}) in '{table}'.");
}

internal static class ETags
{
    /// <summary>Random rather than a counter so that an ETag never matches a deleted-and-recreated row.</summary>
    public static string New() => $"W/\"{System.Security.Cryptography.RandomNumberGenerator.GetHexString(16, lowercase: true)}\"";
}
