using System.Security.Cryptography;
using System.Text;
using System.Web;
using Wati.Platform.Storage.S3;

namespace Wati.Tests.Storage;

/// <summary>
/// Presigning and request shape for an R2-style endpoint, with no server: the signature is checked by
/// recomputing SigV4 here from the URL's own date and the secret (s3rver does not check presigned
/// signatures, so this is where they are proven), and uploads are answered by a stub after being recorded.
/// </summary>
public sealed class S3PresignTests
{
    private const string Secret = "r2-secret-key-for-tests";

    private static S3StorageOptions R2(int urlSeconds = S3StorageOptions.MaxUrlSeconds, string? publicBase = null) => new()
    {
        ServiceUrl = "https://0123456789abcdef.r2.cloudflarestorage.com",
        Region = "auto",
        Bucket = "wati",
        AccessKey = "AKIDR2TEST",
        SecretKey = Secret,
        UrlSeconds = urlSeconds,
        PublicBaseUrl = publicBase,
    };

    private static S3ObjectStore Store(S3StorageOptions options, RecordingHttpClientFactory? wire = null) =>
        new(S3ObjectStore.CreateClient(options, wire ?? new RecordingHttpClientFactory(S3Answers.PutOk)), options, TimeProvider.System);

    [Theory]
    [InlineData("gfpgan/s2-v1.4/abc.jpg")]
    [InlineData("odd/[brackets] (x) +plus !bang/ünï 😀.png")]
    public async Task Presigned_url_is_sigv4_for_the_key_host_and_lifetime(string key)
    {
        using var store = Store(R2());

        var signed = await store.GetSignedUrlAsync(key, TimeSpan.FromMinutes(15));

        var uri = new Uri(signed.Url);
        var q = HttpUtility.ParseQueryString(uri.Query);
        Assert.Equal("https", uri.Scheme);
        Assert.Equal("0123456789abcdef.r2.cloudflarestorage.com", uri.Host);
        Assert.Equal(CanonicalPath("wati", key), uri.AbsolutePath);
        Assert.Equal("AWS4-HMAC-SHA256", q["X-Amz-Algorithm"]);
        Assert.Equal("900", q["X-Amz-Expires"]);
        Assert.Equal("host", q["X-Amz-SignedHeaders"]);
        Assert.Matches(@"^AKIDR2TEST/\d{8}/auto/s3/aws4_request$", q["X-Amz-Credential"]);
        Assert.Equal(900, signed.ExpiresIn);
        Assert.Null(signed.PresignedUrl);
        Assert.Equal(ExpectedSignature(uri, CanonicalPath("wati", key)), q["X-Amz-Signature"]);
    }

    [Fact]
    public async Task Changing_the_key_changes_the_signature()
    {
        using var store = Store(R2());

        var a = new Uri((await store.GetSignedUrlAsync("a/b.png", TimeSpan.FromMinutes(5))).Url);
        var b = new Uri((await store.GetSignedUrlAsync("a/c.png", TimeSpan.FromMinutes(5))).Url);

        Assert.NotEqual(HttpUtility.ParseQueryString(a.Query)["X-Amz-Signature"], HttpUtility.ParseQueryString(b.Query)["X-Amz-Signature"]);
    }

    [Theory]
    [InlineData(30 * 24 * 3600, S3StorageOptions.MaxUrlSeconds, S3StorageOptions.MaxUrlSeconds)]
    [InlineData(7200, 3600, 3600)]
    [InlineData(600, 3600, 600)]
    public async Task Lifetime_is_clamped_to_the_configured_maximum_and_never_beyond_seven_days(int asked, int urlSeconds, int expected)
    {
        using var store = Store(R2(urlSeconds));

        var signed = await store.GetSignedUrlAsync("a/b.png", TimeSpan.FromSeconds(asked));

        Assert.Equal(expected, signed.ExpiresIn);
        Assert.Equal(expected.ToString(), HttpUtility.ParseQueryString(new Uri(signed.Url).Query)["X-Amz-Expires"]);
    }

    [Fact]
    public void More_than_seven_days_cannot_be_configured()
    {
        Assert.Contains(R2(S3StorageOptions.MaxUrlSeconds + 1).Problems(), p => p.StartsWith("Wati:Storage:S3:UrlSeconds", StringComparison.Ordinal));
        Assert.Empty(R2().Problems());
    }

    [Fact]
    public async Task With_a_public_base_the_url_is_public_and_the_presigned_one_comes_beside_it()
    {
        using var store = Store(R2(publicBase: "https://cdn.example.test/"));

        var signed = await store.GetSignedUrlAsync("gfpgan/a b.jpg", TimeSpan.FromMinutes(5));

        Assert.Equal("https://cdn.example.test/gfpgan/a%20b.jpg", signed.Url);
        Assert.NotNull(signed.PresignedUrl);
        Assert.StartsWith("https://0123456789abcdef.r2.cloudflarestorage.com/wati/gfpgan/a%20b.jpg?", signed.PresignedUrl, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(12 * 1024 * 1024)]
    public async Task R2_uploads_are_unsigned_payloads_without_chunking_or_checksums(int size)
    {
        var wire = new RecordingHttpClientFactory(S3Answers.PutOk);
        using var store = Store(R2(), wire);
        var bytes = new byte[size];

        await store.PutAsync("a/b.bin", new MemoryStream(bytes), "application/octet-stream");

        var put = Assert.Single(wire.Requests);
        Assert.Equal("PUT", put.Method);
        Assert.Equal("/wati/a/b.bin", put.Uri.AbsolutePath);
        RequestShape.AssertPlainBody(put, size);
        Assert.Equal("UNSIGNED-PAYLOAD", put.Header("x-amz-content-sha256"));
    }

    private static string CanonicalPath(string bucket, string key) =>
        "/" + bucket + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    /// <summary>SigV4 for a presigned GET, computed from the AWS specification, independently of the SDK.</summary>
    private static string ExpectedSignature(Uri uri, string canonicalPath)
    {
        var q = HttpUtility.ParseQueryString(uri.Query);
        var canonicalQuery = string.Join('&', q.AllKeys.Where(k => k != "X-Amz-Signature").Order(StringComparer.Ordinal)
            .Select(k => Uri.EscapeDataString(k!) + "=" + Uri.EscapeDataString(q[k]!)));
        var canonicalRequest = $"GET\n{canonicalPath}\n{canonicalQuery}\nhost:{uri.Authority}\n\nhost\nUNSIGNED-PAYLOAD";
        var amzDate = q["X-Amz-Date"]!;
        var scope = $"{amzDate[..8]}/auto/s3/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + Secret);
        foreach (var part in new[] { amzDate[..8], "auto", "s3", "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        return Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
