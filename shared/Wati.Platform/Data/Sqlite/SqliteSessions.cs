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

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        _commands.Clear();
        Connection.Dispose();
    }
}
