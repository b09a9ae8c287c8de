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
        return true;
    });

    public static void EnsureInitialized() => _ = Initialized.Value;
}
