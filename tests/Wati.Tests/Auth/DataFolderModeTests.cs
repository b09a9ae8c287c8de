using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Common;
using Wati.Platform.Storage;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 7: the data folder is private. Folders 0700 and files 0600 (database with -wal/-shm,
/// queue, generated keys, stored objects) as the platform creates them, and an older folder is fixed at start.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DataFolderModeTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task EverythingTheServerWritesIsPrivate()
    {
        var data = Path.Combine(_dir.Path, "data");
        using (var app = new WatiAppFactory(new Dictionary<string, string?> { ["Wati:DataDir"] = data }))
        {
            var api = app.Api();
            await api.NewUserAsync();
            await app.Services.GetRequiredService<IObjectStore>().PutAsync("outputs/usr_x/job_y/0.png", new MemoryStream([1, 2, 3]), "image/png");

            var entries = Walk(data).ToList();
            foreach (var name in new[] { "tables.db", "tables.db-wal", "jwt-signing.key" })
                Assert.Contains(entries, e => Path.GetFileName(e) == name);
            Assert.Contains(entries, e => e.EndsWith("0.png", StringComparison.Ordinal));
            AssertPrivate(data, entries);
        }
    }

    [Fact]
    public void AnOlderWorldReadableFolderIsMadePrivateAtStart()
    {
        var data = Path.Combine(_dir.Path, "old");
        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        Directory.CreateDirectory(Path.Combine(data, "files", "outputs"), open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        foreach (var file in new[] { "tables.db", "tables.db-wal", "files/outputs/a.png", "files/outputs/a.png~meta" })
        {
            File.WriteAllBytes(Path.Combine(data, file), [1]);
            File.SetUnixFileMode(Path.Combine(data, file), open);
        }

        var (changed, truncated) = DataFolder.Tighten(data);

        Assert.Equal(7, changed); // 3 folders, 4 files
        Assert.False(truncated);
        AssertPrivate(data, Walk(data).ToList());
        Assert.Equal((0, false), DataFolder.Tighten(data));
    }

    [Fact]
    public void TheWalkIsBounded()
    {
        var data = Path.Combine(_dir.Path, "many");
        Directory.CreateDirectory(data);
        for (var i = 0; i < 10; i++) File.WriteAllBytes(Path.Combine(data, $"f{i}"), []);
        Assert.True(DataFolder.Tighten(data, maxEntries: 5).Truncated);
    }

    private static IEnumerable<string> Walk(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories);

    private static void AssertPrivate(string root, IReadOnlyList<string> entries)
    {
        Assert.Equal(DataFolder.PrivateFolderMode, File.GetUnixFileMode(root));
        foreach (var entry in entries)
        {
            var expected = Directory.Exists(entry) ? DataFolder.PrivateFolderMode : DataFolder.PrivateFileMode;
            Assert.True(expected == File.GetUnixFileMode(entry), $"{entry}: {File.GetUnixFileMode(entry)}");
        }
    }

    public void Dispose() => _dir.Dispose();
}
