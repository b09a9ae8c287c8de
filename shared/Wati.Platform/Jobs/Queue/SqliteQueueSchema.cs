using Microsoft.Data.Sqlite;

namespace Wati.Platform.Jobs.Queue;

/// <summary>The queue file's tables and the per-connection settings every opener must apply.</summary>
internal static class SqliteQueueSchema
{
    // journal_mode is stored in the file; busy_timeout and synchronous belong to each connection.
    // FULL makes a committed enqueue or completion survive power loss, not only a process crash.
    private const string ConnectionSettings = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;";

    private const string Tables =
        """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS messages (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,
            queue          TEXT    NOT NULL,
            job_id         TEXT    NOT NULL,
            model          TEXT    NOT NULL,
            attempt        INTEGER NOT NULL,
            enqueued_at    INTEGER NOT NULL,
            visible_at     INTEGER NOT NULL,
            delivery_count INTEGER NOT NULL DEFAULT 0,
            lease_token    TEXT,
            state          TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'dead')),
            dead_reason    TEXT,
            dead_at        INTEGER,
            handled_at     INTEGER
        );
        -- Duplicate detection covers pending messages only, so a job may be queued again once done or dead.
        CREATE UNIQUE INDEX IF NOT EXISTS ux_messages_pending ON messages (queue, job_id) WHERE state = 'active';
        -- Receivers walk a queue's pending messages in sequence order and skip the invisible ones.
        CREATE INDEX IF NOT EXISTS ix_messages_fifo ON messages (queue, seq) WHERE state = 'active';
        CREATE INDEX IF NOT EXISTS ix_messages_dead ON messages (queue, seq) WHERE state = 'dead';
        """;

    public static void Configure(SqliteConnection connection) => Execute(connection, ConnectionSettings);

    public static void Create(SqliteConnection connection)
    {
        Execute(connection, Tables);
        // Files made before dead letters were handled by the job processor gain the column.
        using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info('messages') WHERE name = 'handled_at'";
        if (Convert.ToInt64(probe.ExecuteScalar()) == 0) Execute(connection, "ALTER TABLE messages ADD COLUMN handled_at INTEGER");
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
