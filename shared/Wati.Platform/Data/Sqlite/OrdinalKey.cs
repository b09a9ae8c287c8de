using System.Buffers.Binary;

namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// Row keys are stored as big-endian UTF-16 code units in a BLOB. SQLite compares BLOBs with memcmp,
/// which on this encoding is exactly .NET ordinal order; TEXT would be compared as UTF-8, which
/// disagrees for characters outside the BMP (so <see cref="TableQuery.Prefix"/>, whose upper bound
/// is U+FFFF, would miss row keys such as "a😀").
/// </summary>
internal static class OrdinalKey
{
    public static byte[] Encode(string value)
    {
        var bytes = new byte[value.Length * 2];
        for (var i = 0; i < value.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 2), value[i]);
        return bytes;
    }

    public static string Decode(byte[] bytes)
    {
        if (bytes.Length % 2 != 0) throw new FormatException("Odd-length row key.");
        return string.Create(bytes.Length / 2, bytes, static (chars, b) =>
        {
            for (var i = 0; i < chars.Length; i++) chars[i] = (char)BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i * 2));
        });
    }

    /// <summary>The continuation token names the last row key returned; the next page starts after it.</summary>
    public static string ToContinuationToken(string lastRowKey) =>
        Convert.ToBase64String(Encode(lastRowKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string FromContinuationToken(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - base64.Length % 4) % 4);
            return Decode(Convert.FromBase64String(base64));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("Malformed continuation token.", nameof(token), e);
        }
    }
}
