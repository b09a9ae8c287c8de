using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Auth;

/// <summary>
/// PBKDF2-SHA256 with a per-password salt, stored as <c>pbkdf2-sha256$iterations$salt$hash</c> so the
/// iteration count can rise later without breaking existing passwords.
/// </summary>
public sealed class PasswordHasher(IOptions<AuthOptions> options)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly Lazy<string> _dummy = new(() => HashCore("dummy password for timing", options.Value.PasswordIterations));

    public string Hash(string password) => HashCore(password, options.Value.PasswordIterations);

    public bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
            return false;
        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations,
            HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the time of one verification, so an unknown e-mail answers as slowly as a wrong password.</summary>
    public void VerifyNothing(string password) => Verify(password, _dummy.Value);

    private static string HashCore(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations,
            HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture),
            Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }
}
