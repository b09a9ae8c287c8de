using Wati.Platform.Storage.S3;
using Wati.Tests.Support;

namespace Wati.Tests.Strict;

/// <summary>
/// s3rver 3.7 encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ (OpenSSL 3) refuses
/// unless started with <c>NODE_OPTIONS=--openssl-legacy-provider</c> (scripts/emulators.sh does so). The
/// readiness probe lists one key, so with two objects the listing is truncated and needs a token.
/// </summary>
public sealed class S3rverOnNodeTests
{
    [Fact]
    public async Task Readiness_stays_green_once_the_bucket_holds_two_objects()
    {
        var options = new S3StorageOptions
        {
            ServiceUrl = Emulators.S3ServiceUrl,
            Region = "auto",
            Bucket = "t" + Guid.NewGuid().ToString("N"),
            AccessKey = "S3RVER",
            SecretKey = "S3RVER",
        };
        using var client = S3ObjectStore.CreateClient(options);
        await client.PutBucketAsync(options.Bucket);
        using var store = new S3ObjectStore(client, options, TimeProvider.System);

        await store.PutAsync("a.bin", new MemoryStream([1]), "application/octet-stream");
        await store.PutAsync("b.bin", new MemoryStream([2]), "application/octet-stream");

        Assert.True(await store.IsReadyAsync());
    }
}
