using System.Security.Cryptography;

namespace Wati.Platform.Common;

/// <summary>
/// Secrets for the embedded profile when configuration gives none: generated once and kept in the
/// data folder, so tokens and signed URLs survive a restart. Production configures them explicitly.
/// </summary>
public static class DataKeys
{
    /// <summary>The shortest key accepted, in bytes (HMAC-SHA256 wants at least its output size).</summary>
    public const int MinimumBytes = 32;

    /// <summary>
    /// The configured key at <paramref name="key"/> (base64 or text, at least 32 bytes); when none is
    /// configured, the one generated into the data folder as <paramref name="fileName"/>, in the embedded
    /// profile only: instances of the azure profile that each generated a key would reject one another's.
    /// </summary>
    /// <exception cref="InvalidOperationException">Too short, or missing in the azure profile; the message names the key.</exception>
    public static byte[] Resolve(string? configured, string key, WatiOptions wati, string fileName)
    {
        if (Problem(configured, key, wati.IsAzure) is { } problem) throw new InvalidOperationException(problem);
        return string.IsNullOrEmpty(configured) ? LoadOrCreate(wati.DataPath(), fileName) : FromConfigured(configured);
    }

    /// <summary>What is wrong with a configured key, naming it; null when it can be used.</summary>
    public static string? Problem(string? configured, string key, bool azureProfile) =>
        string.IsNullOrEmpty(configured)
            ? azureProfile ? $"{key} is required in the azure profile (base64 or text, at least {MinimumBytes} bytes; every instance must share it)" : null
            : FromConfigured(configured).Length < MinimumBytes ? $"{key} must be at least {MinimumBytes} bytes" : null;

    public static byte[] LoadOrCreate(string dataDir, string name, int bytes = 64)
    {
        DataFolder.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, name);
        if (File.Exists(path)) return Convert.FromBase64String(File.ReadAllText(path).Trim());

        var key = RandomNumberGenerator.GetBytes(bytes);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            // Two processes starting at once: the first move wins and both use its key.
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }

    /// <summary>A configured key: base64 when it decodes to at least 32 bytes, else its UTF-8 bytes.</summary>
    public static byte[] FromConfigured(string value)
    {
        Span<byte> buffer = new byte[value.Length];
        if (Convert.TryFromBase64String(value, buffer, out var n) && n >= 32) return buffer[..n].ToArray();
        return System.Text.Encoding.UTF8.GetBytes(value);
    }
}
