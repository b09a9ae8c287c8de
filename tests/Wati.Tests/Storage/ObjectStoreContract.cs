using System.Text;
using Wati.Platform.Storage;

namespace Wati.Tests.Storage;

/// <summary>
/// Behaviour every <see cref="IObjectStore"/> backend must show. A backend's test class derives from
/// this and supplies the store; xunit runs each fact on a fresh instance of that class.
/// </summary>
public abstract class ObjectStoreContract
{
    /// <summary>Keys with spaces, '+', brackets, '!' and non-ASCII characters (all valid).</summary>
    public static TheoryData<string> OddKeys => new()
    {
        "odd/with space.jpg",
        "odd/plus+sign.png",
        "odd/[brackets] (parens) {braces}.bin",
        "odd/bang!and'quote,comma;semi=eq&amp@at$.txt",
        "odd/ünïcödé/ключ 图像 😀.webp",
    };

    protected abstract IObjectStore Store { get; }

    [Fact]
    public async Task Put_then_get_returns_bytes_and_content_type()
    {
        await Put("gfpgan/v1.4/abc.jpg", "jpeg bytes", "image/jpeg");

        await using var stored = await Store.GetAsync("gfpgan/v1.4/abc.jpg");

        Assert.NotNull(stored);
        Assert.Equal("image/jpeg", stored.ContentType);
        Assert.Equal(10, stored.Length);
        Assert.Equal("jpeg bytes", await ReadAll(stored));
    }

    [Fact]
    public async Task Put_overwrites_bytes_and_content_type()
    {
        await Put("a/b.bin", "first version", "application/octet-stream");
        await Put("a/b.bin", "second", "image/png");

        await using var stored = await Store.GetAsync("a/b.bin");

        Assert.NotNull(stored);
        Assert.Equal("image/png", stored.ContentType);
        Assert.Equal("second", await ReadAll(stored));
    }

    [Fact]
    public async Task Put_accepts_a_stream_that_cannot_seek()
    {
        var bytes = RandomBytes(300_000);

        await Store.PutAsync("a/stream.bin", new ForwardOnlyStream(bytes), "application/octet-stream");

        await using var stored = await Store.GetAsync("a/stream.bin");
        Assert.Equal(bytes, await ReadBytes(stored!));
    }

    [Fact]
    public async Task Delete_removes_only_that_object()
    {
        await Put("a/b.png", "x", "image/png");
        await Put("a/c.png", "y", "image/png");

        Assert.True(await Store.DeleteAsync("a/b.png"));

        Assert.Null(await Store.GetAsync("a/b.png"));
        Assert.False(await Store.DeleteAsync("a/b.png"));
        await using var other = await Store.GetAsync("a/c.png");
        Assert.NotNull(other);
    }

    [Fact]
    public async Task Missing_objects_are_null_and_not_deleted()
    {
        Assert.Null(await Store.GetAsync("nowhere/missing.jpg"));
        Assert.False(await Store.DeleteAsync("nowhere/missing.jpg"));
    }

    [Theory]
    [MemberData(nameof(OddKeys))]
    public async Task Odd_keys_round_trip_with_the_same_bytes(string key)
    {
        var bytes = RandomBytes(1000);
        await Store.PutAsync(key, new MemoryStream(bytes), "image/png");

        await using var stored = await Store.GetAsync(key);

        Assert.Equal(bytes, await ReadBytes(stored!));
        Assert.True(await Store.DeleteAsync(key));
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
    [InlineData("%2e%2e/b.jpg")]
    [InlineData("a/b?.jpg")]
    [InlineData("a/b#.jpg")]
    [InlineData("a/b\n.jpg")]
    public async Task Invalid_keys_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), "image/png"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetSignedUrlAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Key_with_an_unpaired_surrogate_is_refused()
    {
        // Built at run time: an attribute argument cannot carry a lone surrogate.
        var key = "a/b" + '\ud800' + ".jpg";

        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, new MemoryStream([1]), "image/png"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetSignedUrlAsync(key, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Content_type_with_control_characters_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.PutAsync("a.png", new MemoryStream([1]), "image/png\r\nX-Evil: 1"));
        Assert.Null(await Store.GetAsync("a.png"));
    }

    [Fact]
    public async Task Signed_url_is_absolute_and_states_its_lifetime()
    {
        await Put("a/b.png", "x", "image/png");

        var signed = await Store.GetSignedUrlAsync("a/b.png", TimeSpan.FromMinutes(15));

        Assert.True(Uri.IsWellFormedUriString(signed.Url, UriKind.Absolute), signed.Url);
        Assert.Equal(900, signed.ExpiresIn);
    }

    [Fact]
    public async Task Is_ready_when_reachable()
    {
        Assert.True(await Store.IsReadyAsync());
    }

    protected Task Put(string key, string text, string contentType) =>
        Store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), contentType);

    protected static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    protected static async Task<string> ReadAll(StoredObject stored)
    {
        using var reader = new StreamReader(stored.Content);
        return await reader.ReadToEndAsync();
    }

    protected static async Task<byte[]> ReadBytes(StoredObject stored)
    {
        using var buffer = new MemoryStream();
        await stored.Content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>A body like an upload's request stream: read once, no length, no seeking.</summary>
    protected sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
