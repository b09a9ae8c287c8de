using System.Text;
using System.Web;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Storage;

namespace Wati.Tests.Storage;

public sealed class SignedUrlTests : IDisposable
{
    private const string Key = "gfpgan/v1.4/abc.jpg";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "wati-signed-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FileSystemObjectStore _store;

    public SignedUrlTests() =>
        _store = new FileSystemObjectStore(_root, Encoding.UTF8.GetBytes("test-signing-key-0123456789abcdef"),
            new FixedBaseUrl("https://api.example.test"), _time);

    [Fact]
    public async Task Url_points_at_files_under_the_base_url_and_verifies()
    {
        var signed = await _store.GetSignedUrlAsync(Key, TimeSpan.FromMinutes(15));

        Assert.StartsWith("https://api.example.test/files/gfpgan/v1.4/abc.jpg?", signed.Url, StringComparison.Ordinal);
        Assert.Equal(900, signed.ExpiresIn);
        var (key, exp, sig) = Parse(signed.Url);
        Assert.Equal(Key, key);
        Assert.Equal((_time.GetUtcNow().ToUnixTimeSeconds() + 900).ToString(), exp);
        Assert.Equal(SignatureCheck.Valid, _store.Signer.Verify(key, exp, sig));
    }

    [Fact]
    public async Task Tampering_with_key_expiry_or_signature_is_invalid()
    {
        var (key, exp, sig) = Parse((await _store.GetSignedUrlAsync(Key, TimeSpan.FromMinutes(15))).Url);
        var flipped = (sig[0] == 'A' ? 'B' : 'A') + sig[1..];

        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify("gfpgan/v1.4/other.jpg", exp, sig));
        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify(key, (long.Parse(exp) + 3600).ToString(), sig));
        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify(key, exp, flipped));
        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify(key, exp, sig[..^2]));
    }

    [Theory]
    [InlineData(null, "c2ln")]
    [InlineData("", "c2ln")]
    [InlineData("-5", "c2ln")]
    [InlineData("12ab", "c2ln")]
    [InlineData("99999999999999999999999", "c2ln")]
    [InlineData("1800000000", null)]
    [InlineData("1800000000", "")]
    [InlineData("1800000000", "not base64 !!")]
    public void Malformed_expiry_or_signature_is_invalid(string? exp, string? sig) =>
        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify(Key, exp, sig));

    [Fact]
    public void Invalid_key_is_invalid_not_an_exception() =>
        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify("../etc/passwd", "1800000000", "c2ln"));

    [Fact]
    public async Task Url_expires_after_its_lifetime()
    {
        var (key, exp, sig) = Parse((await _store.GetSignedUrlAsync(Key, TimeSpan.FromMinutes(15))).Url);

        _time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(SignatureCheck.Valid, _store.Signer.Verify(key, exp, sig));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SignatureCheck.Expired, _store.Signer.Verify(key, exp, sig));
    }

    [Fact]
    public void A_different_signing_key_does_not_verify()
    {
        var exp = _time.GetUtcNow().ToUnixTimeSeconds() + 60;
        var sig = new UrlSigner(Encoding.UTF8.GetBytes("another-key-with-enough-bytes!!"), _time).Sign(Key, exp);

        Assert.Equal(SignatureCheck.Invalid, _store.Signer.Verify(Key, exp.ToString(), sig));
    }

    [Fact]
    public void Short_signing_keys_are_refused() =>
        Assert.Throws<ArgumentException>(() => new UrlSigner([1, 2, 3], _time));

    [Fact]
    public async Task Non_positive_lifetime_is_refused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.GetSignedUrlAsync(Key, TimeSpan.Zero));

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

    /// <summary>Splits a signed URL the way the host's <c>/files/{**key}</c> route would.</summary>
    private static (string Key, string Exp, string Sig) Parse(string url)
    {
        var uri = new Uri(url);
        var query = HttpUtility.ParseQueryString(uri.Query);
        var key = Uri.UnescapeDataString(uri.AbsolutePath["/files/".Length..]);
        return (key, query["exp"]!, query["sig"]!);
    }
}
