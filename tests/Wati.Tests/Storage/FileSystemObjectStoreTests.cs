using System.Text;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Storage;

namespace Wati.Tests.Storage;

public sealed class FileSystemObjectStoreTests : IDisposable
{
    private static readonly byte[] SigningKey = Encoding.UTF8.GetBytes("test-signing-key-0123456789abcdef");

    private readonly string _root = Path.Combine(Path.GetTempPath(), "wati-objects-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FileSystemObjectStore _store;

    public FileSystemObjectStoreTests() =>
        _store = new FileSystemObjectStore(_root, SigningKey, new FixedBaseUrl("https://api.example.test"), _time);

    [Fact]
    public async Task Put_then_get_returns_bytes_and_content_type()
    {
        await Put("gfpgan/v1.4/abc.jpg", "jpeg bytes", "image/jpeg");

        await using var stored = await _store.GetAsync("gfpgan/v1.4/abc.jpg");

        Assert.NotNull(stored);
        Assert.Equal("image/jpeg", stored.ContentType);
        Assert.Equal(10, stored.Length);
        Assert.Equal("jpeg bytes", await ReadAll(stored));
        Assert.True(File.Exists(Path.Combine(_root, "gfpgan", "v1.4", "abc.jpg")));
    }

    [Fact]
    public async Task Put_overwrites_bytes_and_content_type()
    {
        await Put("a/b.bin", "first version", "application/octet-stream");
        await Put("a/b.bin", "second", "image/png");

        await using var stored = await _store.GetAsync("a/b.bin");

        Assert.NotNull(stored);
        Assert.Equal("image/png", stored.ContentType);
        Assert.Equal("second", await ReadAll(stored));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_root, "a")), f => f.Contains("~tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_removes_object_and_sidecar_only()
    {
        await Put("a/b.png", "x", "image/png");
        await Put("a/c.png", "y", "image/png");

        Assert.True(await _store.DeleteAsync("a/b.png"));

        Assert.Null(await _store.GetAsync("a/b.png"));
        Assert.False(await _store.DeleteAsync("a/b.png"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, "a")).Length);
        await using var other = await _store.GetAsync("a/c.png");
        Assert.NotNull(other);
    }

    [Fact]
    public async Task Missing_objects_are_null_and_not_deleted()
    {
        Assert.Null(await _store.GetAsync("nowhere/missing.jpg"));
        Assert.False(await _store.DeleteAsync("nowhere/missing.jpg"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/abs/path.jpg")]
    [InlineData("../escape.jpg")]
    [InlineData("a/../../escape.jpg")]
    [InlineData("a/./b.jpg")]
    [InlineData("a//b.jpg")]
    [InlineData("a\\..\\b.jpg")]
    [InlineData("a/b.jpg~meta")]
    [InlineData("a/b c.jpg")]
    [InlineData("%2e%2e/b.jpg")]
    public async Task Invalid_keys_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(key, new MemoryStream([1]), "image/png"));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetSignedUrlAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Content_type_with_control_characters_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            _store.PutAsync("a.png", new MemoryStream([1]), "image/png\r\nX-Evil: 1"));
    }

    [Fact]
    public async Task Is_ready_when_root_is_writable()
    {
        Assert.True(await _store.IsReadyAsync());
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

    private async Task Put(string key, string text, string contentType) =>
        await _store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), contentType);

    private static async Task<string> ReadAll(StoredObject stored)
    {
        using var reader = new StreamReader(stored.Content);
        return await reader.ReadToEndAsync();
    }
}

internal sealed class FixedBaseUrl(string url) : IPublicBaseUrl
{
    public string Get() => url;
}
