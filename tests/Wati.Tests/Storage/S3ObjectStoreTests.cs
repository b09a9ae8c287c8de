using Amazon.S3;
using Wati.Platform.Storage;
using Wati.Platform.Storage.S3;
using Wati.Tests.Support;

namespace Wati.Tests.Storage;

/// <summary>The object-store contract against s3rver (a real S3 API server), through AWSSDK.S3.</summary>
public sealed class S3ObjectStoreTests : ObjectStoreContract, IDisposable
{
    private readonly RecordingHttpClientFactory _wire = new();
    private readonly S3StorageOptions _options;
    private readonly IAmazonS3 _client;
    private readonly S3ObjectStore _store;

    public S3ObjectStoreTests()
    {
        _options = new S3StorageOptions
        {
            ServiceUrl = Emulators.S3ServiceUrl,
            Region = "auto",
            Bucket = "t" + Guid.NewGuid().ToString("N"),
            AccessKey = "S3RVER",
            SecretKey = "S3RVER",
        };
        _client = S3ObjectStore.CreateClient(_options, _wire);
        _client.PutBucketAsync(_options.Bucket).GetAwaiter().GetResult();
        _store = new S3ObjectStore(_client, _options, TimeProvider.System);
    }

    protected override IObjectStore Store => _store;

    public void Dispose() => _store.Dispose();

    [Theory]
    [MemberData(nameof(OddKeys))]
    public async Task Odd_keys_download_through_their_presigned_url_with_the_same_bytes(string key)
    {
        var bytes = RandomBytes(5000);
        await _store.PutAsync(key, new MemoryStream(bytes), "image/webp");

        var signed = await _store.GetSignedUrlAsync(key, TimeSpan.FromMinutes(5));
        using var http = new HttpClient();
        using var response = await http.GetAsync(signed.Url);

        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} for {signed.Url}");
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(12 * 1024 * 1024)]
    public async Task Uploads_carry_no_chunked_encoding_trailer_or_streaming_hash(int size)
    {
        var bytes = RandomBytes(size);

        await _store.PutAsync("shape/upload.bin", new ForwardOnlyStream(bytes), "application/octet-stream");

        var put = Assert.Single(_wire.Requests, r => r.Method == "PUT" && r.Uri.AbsolutePath.EndsWith("/shape/upload.bin", StringComparison.Ordinal));
        RequestShape.AssertPlainBody(put, size);
        await using var stored = await _store.GetAsync("shape/upload.bin");
        Assert.Equal(bytes, await ReadBytes(stored!));
    }

    [Fact]
    public async Task A_missing_bucket_is_not_ready()
    {
        using var store = new S3ObjectStore(S3ObjectStore.CreateClient(_options), new S3StorageOptions
        {
            ServiceUrl = _options.ServiceUrl, Bucket = "missing" + Guid.NewGuid().ToString("N"), AccessKey = "S3RVER", SecretKey = "S3RVER",
        }, TimeProvider.System);

        Assert.False(await store.IsReadyAsync());
    }
}

internal static class RequestShape
{
    /// <summary>
    /// What R2 accepts: the body sent as itself (not aws-chunked), no trailing checksum, no streaming
    /// payload hash, and no checksum the operation does not require.
    /// </summary>
    public static void AssertPlainBody(RecordedRequest put, long size)
    {
        Assert.DoesNotContain("aws-chunked", put.Header("Content-Encoding") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Null(put.Header("x-amz-trailer"));
        Assert.Null(put.Header("x-amz-decoded-content-length"));
        Assert.Null(put.Header("x-amz-sdk-checksum-algorithm"));
        Assert.DoesNotContain(put.Headers.Keys, k => k.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase));
        var hash = put.Header("x-amz-content-sha256");
        Assert.NotNull(hash);
        Assert.DoesNotContain("STREAMING", hash, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), put.Header("Content-Length"));
    }
}
