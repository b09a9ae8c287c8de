using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// Long-lived SQLite connections, each with its statements prepared once and reused. Opening a pooled
/// <see cref="SqliteConnection"/> per call re-ran the per-connection pragmas and re-parsed every statement
/// (profiled: a fifth of the server's CPU on <c>GET /v1/credits</c> went to SQLite's parser), and closing
/// it threw the connection's page cache away. A session is used by one caller at a time.
/// </summary>
internal sealed class SqliteSessions : IDisposable
{
    /// <summary>
    /// Per-connection settings, run once when a session opens. <c>mmap_size</c> lets readers take database
    /// pages straight from the OS page cache instead of a <c>read()</c> per page each time another
    /// connection's write invalidated their cache (256 MiB of address space, not of memory).
    /// </summary>
    private const string ConnectionSettings = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456;";

    private readonly string _connectionString;
    private readonly int _maxIdle;
    private readonly ConcurrentBag<SqliteSession> _idle = [];
    private int _idleCount;
    private volatile bool _disposed;

    /// <param name="connectionString">From <see cref="SqliteNative.ConnectionString"/>.</param>
    /// <param name="maxIdle">Sessions kept open between calls; more are opened under load and closed after.</param>
    public SqliteSessions(string connectionString, int maxIdle)
    {
        _connectionString = connectionString;
        _maxIdle = maxIdle;
    }

    /// <summary>An open session for the caller alone; give it back with <see cref="Return"/>.</summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="SqliteException">The database cannot be opened.</exception>
    public SqliteSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            return session;
        }
        return SqliteSession.Open(_connectionString, ConnectionSettings);
    }

    /// <summary>
    /// Takes a session back. <paramref name="broken"/>: the call failed in a way that may have left the
    /// connection unusable (anything but a plain constraint or busy answer), so it is closed, not kept.
    /// </summary>
    public void Return(SqliteSession session, bool broken = false)
    {
        if (broken || _disposed)
        {
            session.Dispose();
            return;
        }
        if (Interlocked.Increment(ref _idleCount) > _maxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            session.Dispose();
            return;
        }
        _idle.Add(session);
        // Disposed meanwhile: make sure nothing stays open behind the flag.
        if (_disposed) DrainIdle();
    }

    public void Dispose()
    {
        _disposed = true;
        DrainIdle();
    }

    private void DrainIdle()
    {
        while (_idle.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleCount);
            session.Dispose();
        }
    }
}

/// <summary>One open connection and the statements prepared on it, keyed by their SQL text.</summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private SqliteSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    public static SqliteSession Open(string connectionString, string settings)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = settings;
            command.ExecuteNonQuery();
            return new SqliteSession(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The prepared command for <paramref name="sql"/> with its parameters (<paramref name="parameters"/>, in
    /// order) created on first use; the caller sets every parameter's value before each run.
    /// <paramref name="transaction"/> is the session's open transaction, if any.
    /// </summary>
    public SqliteCommand Command(string sql, SqliteTransaction? transaction, params ReadOnlySpan<string> parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
            _commands[sql] = command;
        }
        command.Transaction = transaction;
        return command;
    }

    private const string PointReadSql = "SELECT etag, props FROM entities WHERE tbl = $tbl AND pk = $pk AND rk = $rk";

    private SQLitePCL.sqlite3_stmt? _pointRead;

    /// <summary>
    /// The point read (<c>etag, props</c> of one row by table, partition and row key) on a statement prepared once
    /// per session through SQLite's own binding (SQLitePCLRaw, which Microsoft.Data.Sqlite is built on), without a
    /// reader object, parameter objects or string conversions per call: the hottest store call, made on every
    /// balance read and every uncached authentication. <paramref name="read"/> gets the row's ETag and its stored
    /// properties as UTF-8; false when there is no such row. Inside a transaction of this session's connection, it
    /// reads that transaction's state.
    /// </summary>
    /// <exception cref="SqliteException">SQLite failed (the caller closes the session).</exception>
    public bool ReadPoint(string table, string partitionKey, byte[] rowKey, Action<string, ReadOnlySpan<byte>> read)
    {
        var db = Connection.Handle!;
        if (_pointRead is null) Check(SQLitePCL.raw.sqlite3_prepare_v2(db, PointReadSql, out _pointRead), db);
        var stmt = _pointRead;
        try
        {
            Check(SQLitePCL.raw.sqlite3_bind_text(stmt, 1, table), db);
            Check(SQLitePCL.raw.sqlite3_bind_text(stmt, 2, partitionKey), db);
            Check(SQLitePCL.raw.sqlite3_bind_blob(stmt, 3, rowKey), db);
            var rc = SQLitePCL.raw.sqlite3_step(stmt);
            if (rc == SQLitePCL.raw.SQLITE_DONE) return false;
            if (rc != SQLitePCL.raw.SQLITE_ROW) Check(rc, db);
            read(SQLitePCL.raw.sqlite3_column_text(stmt, 0).utf8_to_string(), SQLitePCL.raw.sqlite3_column_blob(stmt, 1));
            return true;
        }
        finally
        {
            SQLitePCL.raw.sqlite3_reset(stmt);
        }
    }

    private static void Check(int rc, SQLitePCL.sqlite3 db)
    {
        if (rc != SQLitePCL.raw.SQLITE_OK) throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(db).utf8_to_string(), rc);
    }

    public void Dispose()
    {
        _pointRead?.Dispose();
        _pointRead = null;
        foreach (var command in _commands.Values) command.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }
}
