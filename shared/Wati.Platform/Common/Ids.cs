using System.Globalization;
using System.Security.Cryptography;

namespace Wati.Platform.Common;

/// <summary>
/// The one source of ids, injectable so tests can control it. Ids are lowercase base32 so they are
/// safe in URLs, object keys and table keys.
/// </summary>
public interface IIdGenerator
{
    /// <summary>A random id with <paramref name="prefix"/>, e.g. <c>usr_k3j...</c>.</summary>
    string NewId(string prefix);

    /// <summary>
    /// An id that sorts newest first (ordinal) and is unique: inverted time then randomness. Used for
    /// row keys of ledgers and job lists, which the table store returns in ascending key order.
    /// </summary>
    string NewDescendingId(DateTimeOffset now);
}

public static class IdRules
{
    /// <summary>
    /// Whether a caller-supplied id can be one of ours (letters, digits, underscore). Anything else
    /// is simply not found, and never reaches the table store's key checks.
    /// </summary>
    public static bool IsPlausible(string id, int minLength = 1) =>
        id.Length >= minLength && id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

public sealed class RandomIdGenerator : IIdGenerator
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public string NewId(string prefix) => prefix + "_" + RandomChars(20);

    public string NewDescendingId(DateTimeOffset now)
    {
        var inverted = DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks;
        return inverted.ToString("D19", CultureInfo.InvariantCulture) + RandomChars(8);
    }

    private static string RandomChars(int count)
    {
        Span<byte> bytes = stackalloc byte[count];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(count, bytes.ToArray(), static (span, b) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = Alphabet[b[i] & 31];
        });
    }
}
