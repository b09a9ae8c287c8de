using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Auth;

/// <summary>The key derivation under the hasher: PBKDF2-SHA256 in production; tests script it.</summary>
public delegate byte[] KeyDerivation(byte[] password, byte[] salt, int iterations, int length);

/// <summary>
/// PBKDF2-SHA256 with a per-password salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> so the
/// iteration count can rise later without breaking existing passwords. The <c>Async</c> methods are what
/// requests use: they run through the <see cref="PasswordGate"/>, which bounds concurrent hashing (issue 24).
/// </summary>
public sealed class PasswordHasher(IOptions<AuthOptions> options, PasswordGate? gate = null, KeyDerivation? derive = null)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly KeyDerivation _derive = derive ?? Pbkdf2;
    private readonly Lazy<string> _dummy = new(() => HashCore("dummy password for timing", options.Value.PasswordIterations, derive ?? Pbkdf2));

    /// <summary>A new stored hash of <paramref name="password"/>, on the calling thread without the gate.</summary>
    public string Hash(string password) => HashCore(password, options.Value.PasswordIterations, _derive);

    /// <summary>Whether <paramref name="password"/> matches <paramref name="stored"/>, on the calling thread without the gate.</summary>
    public bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
            return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = _derive(Encoding.UTF8.GetBytes(password), salt, iterations, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the time of one verification, so an unknown e-mail answers as slowly as a wrong password.</summary>
    public void VerifyNothing(string password) => Verify(password, _dummy.Value);

    /// <summary><see cref="Hash"/> through the gate (429 RATE_LIMIT_EXCEEDED when it is full).</summary>
    public Task<string> HashAsync(string password, CancellationToken ct) => Gated(() => Hash(password), ct);

    /// <summary><see cref="Verify"/> through the gate (429 RATE_LIMIT_EXCEEDED when it is full).</summary>
    public Task<bool> VerifyAsync(string password, string stored, CancellationToken ct) => Gated(() => Verify(password, stored), ct);

    /// <summary><see cref="VerifyNothing"/> through the gate (429 RATE_LIMIT_EXCEEDED when it is full).</summary>
    public Task<bool> VerifyNothingAsync(string password, CancellationToken ct) => Gated(() => Verify(password, _dummy.Value), ct);

    private Task<T> Gated<T>(Func<T> work, CancellationToken ct) => gate is null ? Task.FromResult(work()) : gate.RunAsync(work, ct);

    private static byte[] Pbkdf2(byte[] password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, length);

    private static string HashCore(string password, int iterations, KeyDerivation derive)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = derive(Encoding.UTF8.GetBytes(password), salt, iterations, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture),
            Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }
}
