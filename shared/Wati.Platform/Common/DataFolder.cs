using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Common;

/// <summary>
/// The data folder (<c>Wati:DataDir</c>) is private to the account running the platform (issue 24
/// finding 7: the database with password hashes, e-mails and webhook secrets, and every image, were
/// <c>0644</c> under <c>0755</c>): folders <c>0700</c> and files <c>0600</c> when created (SQLite gives
/// its <c>-wal</c>/<c>-shm</c> files the mode of the database), and <see cref="Tighten"/> fixes folders
/// written by older versions at start. No-ops on Windows, where the folder inherits its parent's ACL.
/// </summary>
public static class DataFolder
{
    /// <summary><c>0700</c>: the owner only.</summary>
    public const UnixFileMode PrivateFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary><c>0600</c>: the owner only.</summary>
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Entries <see cref="Tighten"/> visits at most, so a huge folder cannot hold start-up for long.</summary>
    public const int MaxEntriesTightened = 200_000;

    /// <summary>Creates <paramref name="path"/> and its missing parents, each <c>0700</c>; existing folders are left as they are.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; each missing one is created here.
        var missing = new Stack<string>();
        for (var p = Path.GetFullPath(path); !Directory.Exists(p); p = Path.GetDirectoryName(p)!)
        {
            missing.Push(p);
            if (Path.GetDirectoryName(p) is null) break;
        }
        while (missing.TryPop(out var folder)) Directory.CreateDirectory(folder, PrivateFolderMode);
    }

    /// <summary>Options for a new file stream whose file, when created, is <c>0600</c>.</summary>
    public static FileStreamOptions NewFile(FileMode mode, FileAccess access, FileShare share, int bufferSize, FileOptions options)
    {
        var o = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize, Options = options };
        if (!OperatingSystem.IsWindows()) o.UnixCreateMode = PrivateFileMode;
        return o;
    }

    /// <summary>Creates <paramref name="path"/> empty as <c>0600</c> when it does not exist (before a library opens it).</summary>
    public static void CreateFileIfMissing(string path)
    {
        try
        {
            using var _ = new FileStream(path, NewFile(FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Exists already: its mode is Tighten's business.
        }
    }

    /// <summary>
    /// Sets every folder under <paramref name="root"/> (itself included) to <c>0700</c> and every file to
    /// <c>0600</c>, visiting at most <paramref name="maxEntries"/> entries. Symbolic links are not followed.
    /// </summary>
    /// <returns>Entries whose mode was changed, and whether the walk stopped at the bound.</returns>
    public static (int Changed, bool Truncated) Tighten(string root, int maxEntries = MaxEntriesTightened)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(root)) return (0, false);
        var changed = Set(root, PrivateFolderMode) ? 1 : 0;
        var visited = 1;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            if (++visited > maxEntries) return (changed, true);
            if (Set(entry.FullName, entry is DirectoryInfo ? PrivateFolderMode : PrivateFileMode)) changed++;
        }
        return (changed, false);

        static bool Set(string path, UnixFileMode mode)
        {
            try
            {
                if (OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == mode) return false;
                File.SetUnixFileMode(path, mode);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false; // gone meanwhile, or not ours: nothing to tighten
            }
        }
    }
}

/// <summary>Runs <see cref="DataFolder.Tighten"/> on the data folder once at start (embedded profile: the folder holds data).</summary>
public sealed class DataFolderTightener(IOptions<WatiOptions> options, ILogger<DataFolderTightener> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = options.Value.DataPath();
        var (changed, truncated) = DataFolder.Tighten(root);
        if (changed > 0) logger.LogInformation("Data folder {Folder}: made {Count} entries private (folders 0700, files 0600)", root, changed);
        if (truncated)
            logger.LogWarning("Data folder {Folder}: stopped after {Max} entries; make the rest private with chmod -R go-rwx", root, DataFolder.MaxEntriesTightened);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
