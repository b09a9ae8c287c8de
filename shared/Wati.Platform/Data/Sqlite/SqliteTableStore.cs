using System.Text;
using Microsoft.Data.Sqlite;

namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// The embedded <see cref="ITableStore"/>: all logical tables share one SQL table keyed by
/// (table, partition key, row key). Safe for many concurrent callers and for several instances
/// (or processes) on one file.
/// </summary>
public sealed class SqliteTableStore : ITableStore, IDisposable
{
    private const int MaxTake = 1000;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS entities (
            tbl   TEXT NOT NULL COLLATE BINARY,
            pk    TEXT NOT NULL COLLATE BINARY,
            rk    BLOB NOT NULL,
            etag  TEXT NOT NULL,
            props TEXT NOT NULL,
            PRIMARY KEY (tbl, pk, rk)
        ) WITHOUT ROWID;
        """;

    private readonly string _connectionString;
    private readonly SqliteSessions _sessions;

    // SQLite admits one writer at a time. Queueing this instance's writers here, asynchronously,
    // keeps them from each blocking a pool thread inside SQLite's busy handler; busy_timeout is
    // still there for writers in other instances or processes.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _disposed;

    public SqliteTableStore(string databasePath)
    {
        _connectionString = SqliteNative.ConnectionString(databasePath);
        _sessions = new SqliteSessions(_connectionString, maxIdle: Math.Max(8, 4 * Environment.ProcessorCount));

        // WAL is a property of the file, so setting it once here covers every later connection.
        Use(session =>
        {
            using var command = session.Connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            return command.ExecuteNonQuery();
        });
    }

    public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken = default)
    {
        var tbl = CheckTable(table);
        TableStoreRules.ValidateKey(partitionKey, nameof(partitionKey));
        TableStoreRules.ValidateKey(rowKey, nameof(rowKey));
        cancellationToken.ThrowIfCancellationRequested();

        return Task.FromResult(Use(session => SqliteEntityWriter.Read(session, tbl, partitionKey, rowKey)));
    }

    public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        WriteOneAsync(table, entity, w => w.Insert(entity), cancellationToken);

    public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        WriteOneAsync(table, entity, w => w.Upsert(entity), cancellationToken);

    public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default)
    {
        TableStoreRules.ValidateIfMatch(ifMatch);
        return WriteOneAsync(table, entity, w => w.Replace(entity, ifMatch), cancellationToken);
    }

    public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default)
    {
        TableStoreRules.ValidateIfMatch(ifMatch);
        return WriteOneAsync(table, entity, w => w.Merge(entity, ifMatch), cancellationToken);
    }

    public Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default)
    {
        var tbl = CheckTable(table);
        TableStoreRules.ValidateKey(partitionKey, nameof(partitionKey));
        TableStoreRules.ValidateKey(rowKey, nameof(rowKey));
        TableStoreRules.ValidateIfMatch(ifMatch);
        return WriteAsync(tbl, w => w.Delete(partitionKey, rowKey, ifMatch), cancellationToken);
    }

    public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken cancellationToken = default)
    {
        var tbl = CheckTable(table);
        ArgumentNullException.ThrowIfNull(query);
        TableStoreRules.ValidateKey(query.PartitionKey, nameof(query.PartitionKey));
        var after = query.ContinuationToken is null ? null : OrdinalKey.FromContinuationToken(query.ContinuationToken);
        var take = Math.Clamp(query.Take, 1, MaxTake);
        cancellationToken.ThrowIfCancellationRequested();

        // One prepared statement per combination of bounds (at most eight), each with fixed parameters.
        var sql = new StringBuilder("SELECT rk, etag, props FROM entities WHERE tbl = $tbl AND pk = $pk");
        var names = new List<string>(6) { "$tbl", "$pk" };
        var values = new List<object>(6) { tbl, query.PartitionKey };
        AddBound(" AND rk >= $from", "$from", query.RowKeyFrom);
        AddBound(" AND rk < $to", "$to", query.RowKeyTo);
        AddBound(" AND rk > $after", "$after", after);
        // One row beyond the page tells whether another page exists, so the last page carries no token.
        sql.Append(" ORDER BY rk LIMIT $limit");
        names.Add("$limit");
        values.Add((long)take + 1);

        return Task.FromResult(Use(session =>
        {
            var command = session.Command(sql.ToString(), null, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(names));
            for (var i = 0; i < values.Count; i++) command.Parameters[i].Value = values[i];
            var items = new List<TableEntity>(Math.Min(take, 128));
            var more = false;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (items.Count == take) { more = true; break; }
                var entity = new TableEntity(query.PartitionKey, OrdinalKey.Decode((byte[])reader.GetValue(0))) { ETag = reader.GetString(1) };
                PropertyCodec.DecodeInto(reader.GetFieldValue<byte[]>(2), entity.Properties); // the stored UTF-8, as the point read gets it
                items.Add(entity);
            }
            return new TablePage(items, more ? OrdinalKey.ToContinuationToken(items[^1].RowKey) : null);
        }));

        void AddBound(string clause, string name, string? value)
        {
            if (value is null) return;
            sql.Append(clause);
            names.Add(name);
            values.Add(OrdinalKey.Encode(value));
        }
    }

    public Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken = default)
    {
        var tbl = CheckTable(table);
        TableStoreRules.ValidateBatch(operations);
        return WriteAsync<IReadOnlyList<string>>(tbl, writer =>
        {
            var etags = new string[operations.Count];
            for (var i = 0; i < operations.Count; i++)
            {
                try
                {
                    etags[i] = writer.Apply(operations[i]);
                }
                catch (TableStoreException e)
                {
                    // Escaping the transaction rolls back everything applied before operation i.
                    throw new TableStoreException(e.Status, $"Batch operation {i} failed: {e.Message}", i);
                }
            }
            return etags;
        }, cancellationToken);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _sessions.Dispose();
        // Pooled connections keep the file open; release them so the file can be moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        _writeGate.Dispose();
    }

    private Task<string> WriteOneAsync(string table, TableEntity entity, Func<SqliteEntityWriter, string> write, CancellationToken cancellationToken)
    {
        var tbl = CheckTable(table);
        TableStoreRules.ValidateEntity(entity);
        return WriteAsync(tbl, write, cancellationToken);
    }

    private async Task<T> WriteAsync<T>(string tbl, Func<SqliteEntityWriter, T> write, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Not deferred: BEGIN IMMEDIATE takes the write lock up front, so the ETag check and the
            // write share one snapshot and a reader can never fail to upgrade to a writer.
            return Use(session =>
            {
                using var transaction = session.Connection.BeginTransaction(deferred: false);
                var result = write(new SqliteEntityWriter(session, transaction, tbl));
                transaction.Commit();
                return result;
            });
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Validates, then folds case: Azure table names are case-insensitive.</summary>
    private string CheckTable(string table)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        TableStoreRules.ValidateTableName(table);
        return table.ToLowerInvariant();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled session. A <see cref="TableStoreException"/> is the store's own
    /// answer (conflict, precondition...) and leaves the session sound; any other failure closes it.
    /// </summary>
    private T Use<T>(Func<SqliteSession, T> work)
    {
        var session = _sessions.Rent();
        var broken = true;
        try
        {
            var result = work(session);
            broken = false;
            return result;
        }
        catch (TableStoreException)
        {
            broken = false;
            throw;
        }
        finally
        {
            _sessions.Return(session, broken);
        }
    }
}
