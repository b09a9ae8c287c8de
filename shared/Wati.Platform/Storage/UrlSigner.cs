using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Wati.Platform.Storage;

public enum SignatureCheck
{
    Valid,
    Expired,
    Invalid,
}

/// <summary>
/// Signs and checks <c>/files/{key}?exp=&amp;sig=</c> URLs: <c>sig = base64url(HMAC-SHA256(key, objectKey + "\n" + exp))</c>
/// with <c>exp</c> in unix seconds. The separator keeps a key ending in digits from being confused with the expiry.
/// </summary>
public sealed class UrlSigner
{
    private const int MinimumKeyBytes = 16;
    private const int SignatureBytes = 32;

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public UrlSigner(byte[] signingKey, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(time);
        if (signingKey.Length < MinimumKeyBytes)
            throw new ArgumentException($"the signing key must have at least {MinimumKeyBytes} bytes", nameof(signingKey));
        _key = (byte[])signingKey.Clone();
        _time = time;
    }

    public string Sign(string key, long exp) => Base64Url.EncodeToString(Mac(ObjectKeys.Validate(key), exp));

    /// <summary>
    /// The signature is checked before the expiry so that a forged URL reports Invalid, never Expired.
    /// Anything malformed (key, expiry or signature) is Invalid.
    /// </summary>
    public SignatureCheck Verify(string key, string? exp, string? sig)
    {
        if (!ObjectKeys.IsValid(key) || string.IsNullOrEmpty(exp) || string.IsNullOrEmpty(sig)) return SignatureCheck.Invalid;
        if (!long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return SignatureCheck.Invalid;

        // TryDecodeFromChars throws on bad characters rather than returning false, so validate first.
        Span<byte> presented = stackalloc byte[SignatureBytes];
        if (!Base64Url.IsValid(sig, out var decodedLength)
            || decodedLength != SignatureBytes
            || !Base64Url.TryDecodeFromChars(sig, presented, out _))
        {
            return SignatureCheck.Invalid;
        }

        if (!CryptographicOperations.FixedTimeEquals(presented, Mac(key, expires))) return SignatureCheck.Invalid;
        return _time.GetUtcNow().ToUnixTimeSeconds() < expires ? SignatureCheck.Valid : SignatureCheck.Expired;
    }

    private byte[] Mac(string key, long exp) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(key + "\n" + exp.ToString(CultureInfo.InvariantCulture)));
}
