using System.Data;
using Microsoft.Data.Sqlite;

namespace Wati.Platform.Jobs.Queue;

// The SQL plumbing behind the public operations: leasing, lease-guarded updates, transactions, connections.
public sealed partial class SqliteJobQueue
{
    private QueueLease? TryLease(SqliteConnection connection, SqliteTransaction tx, string queue, long visibilityMs)
    {
        var now = NowMs();
        while (true)
        {
            long seq;
            QueueMessage message;
            int deliveries;
            using (var pick = Command(connection, tx,
                """
                SELECT seq, job_id, model, attempt, delivery_count FROM messages
                WHERE queue = $queue AND state = 'active' AND visible_at <= $now
                ORDER BY seq LIMIT 1
                """,
                ("$queue", queue), ("$now", now)))
            using (var reader = pick.ExecuteReader())
            {
                if (!reader.Read()) return null;
                seq = reader.GetInt64(0);
                message = new QueueMessage(reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
                deliveries = reader.GetInt32(4) + 1;
            }

            if (deliveries > _options.MaxDeliveries)
            {
                using var bury = Command(connection, tx,
                    "UPDATE messages SET state = 'dead', lease_token = NULL, dead_reason = $reason, dead_at = $now WHERE seq = $seq",
                    ("$reason", MaxDeliveryCountExceeded), ("$now", now), ("$seq", seq));
                bury.ExecuteNonQuery();
                continue;
            }

            var token = Guid.NewGuid().ToString("N");
            using var take = Command(connection, tx,
                "UPDATE messages SET delivery_count = $deliveries, lease_token = $token, visible_at = $visible WHERE seq = $seq",
                ("$deliveries", deliveries), ("$token", token), ("$visible", now + visibilityMs), ("$seq", seq));
            take.ExecuteNonQuery();
            return new QueueLease(queue, seq, token, message, deliveries);
        }
    }

    /// <summary>Runs <paramref name="statement"/> on the leased message only while the lease token is still current.</summary>
    private Task<bool> UpdateLeased(QueueLease lease, string statement, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return WriteAsync((connection, tx) =>
        {
            using var update = Command(connection, tx,
                statement + " WHERE seq = $seq AND queue = $queue AND state = 'active' AND lease_token = $token",
                [("$seq", lease.SequenceNumber), ("$queue", lease.Queue), ("$token", lease.LeaseToken), ("$now", NowMs()), .. parameters]);
            return update.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            // Serializable + not deferred is BEGIN IMMEDIATE: the write lock is taken before the first read.
            using var tx = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            var result = work(connection, tx);
            tx.Commit();
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteQueueSchema.Configure(connection);
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql,
        params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long Milliseconds(TimeSpan span, string name)
    {
        if (span < TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, "must not be negative");
        return (long)Math.Ceiling(span.TotalMilliseconds);
    }
}
