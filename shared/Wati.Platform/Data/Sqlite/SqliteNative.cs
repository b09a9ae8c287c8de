namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// Points Microsoft.Data.Sqlite at the system's libsqlite3. A second, bundled SQLite in the same
/// process is not safe here: libvips loads modules that pull libsqlite3 into the global symbol scope,
/// after which the bundled library's lazily bound calls land in the other copy and crash.
/// </summary>
public static class SqliteNative
{
    private static readonly Lazy<bool> Initialized = new(() =>
    {
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());
        // No memory statistics: with them on (SQLite's default) every allocation inside SQLite takes one
        // process-wide mutex, which concurrent readers were contending for (profiled under load: futex
        // waits in pthread_mutex_lock from libsqlite3). Must precede SQLite's initialisation, which the first
        // connection opened through this class performs; SQLITE_MISUSE (already initialised) is harmless.
        SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    });

    /// <summary>
    /// The connection string for a database file, creating its folder. Every SQLite user in the
    /// platform gets its connections through here, so the provider is always set first.
    /// </summary>
    public static string ConnectionString(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        _ = Initialized.Value;
        var fullPath = Path.GetFullPath(databasePath);
        // Private from the first byte (issue 24 finding 7): SQLite creates -wal/-shm with the database's mode.
        Common.DataFolder.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        Common.DataFolder.CreateFileIfMissing(fullPath);
        return new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }
}
