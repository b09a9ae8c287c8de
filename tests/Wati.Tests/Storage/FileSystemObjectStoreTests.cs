using System.Text;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Storage;

namespace Wati.Tests.Storage;

/// <summary>The object-store contract on the filesystem, plus what only files on disk show.</summary>
public sealed class FileSystemObjectStoreTests : ObjectStoreContract, IDisposable
{
    private static readonly byte[] SigningKey = Encoding.UTF8.GetBytes("test-signing-key-0123456789abcdef");

    private readonly string _root = Path.Combine(Path.GetTempPath(), "wati-objects-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FileSystemObjectStore _store;

    public FileSystemObjectStoreTests() =>
        _store = new FileSystemObjectStore(_root, SigningKey, new FixedBaseUrl("https://api.example.test"), _time);

    protected override IObjectStore Store => _store;

    [Fact]
    public async Task Objects_are_files_under_the_root()
    {
        await Put("gfpgan/v1.4/abc.jpg", "jpeg bytes", "image/jpeg");

        Assert.True(File.Exists(Path.Combine(_root, "gfpgan", "v1.4", "abc.jpg")));
    }

    [Fact]
    public async Task Overwrite_leaves_no_temporary_files()
    {
        await Put("a/b.bin", "first version", "application/octet-stream");
        await Put("a/b.bin", "second", "image/png");

        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_root, "a")), f => f.Contains("~tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_removes_object_and_sidecar_only()
    {
        await Put("a/b.png", "x", "image/png");
        await Put("a/c.png", "y", "image/png");

        Assert.True(await _store.DeleteAsync("a/b.png"));

        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, "a")).Length);
    }

    [Fact]
    public async Task Is_not_ready_when_the_root_is_gone()
    {
        Directory.Delete(_root, recursive: true);
        Assert.False(await _store.IsReadyAsync());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

internal sealed class FixedBaseUrl(string url) : IPublicBaseUrl
{
    public string Get() => url;
}
