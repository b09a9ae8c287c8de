using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

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
    /// <exception cref="InvalidOperationException">Too short, an unresolved Key Vault reference, or missing or not base64 in the azure profile; the message names the key.</exception>
    public static byte[] Resolve(string? configured, string key, WatiOptions wati, string fileName)
    {
        if (Problem(configured, key, wati.IsAzure) is { } problem) throw new InvalidOperationException(problem);
        return string.IsNullOrEmpty(configured) ? LoadOrCreate(wati.DataPath(), fileName) : FromConfigured(configured);
    }

    /// <summary>
    /// What is wrong with a configured key, naming it (never its value); null when it can be used. An
    /// unresolved Key Vault reference is refused in every profile; in the azure profile the key must be
    /// base64 of at least <see cref="MinimumBytes"/> bytes, so that a literal text (such as the reference
    /// App Service passes on when it cannot resolve one, whose vault name is public) never becomes the
    /// HMAC key (issue 17).
    /// </summary>
    public static string? Problem(string? configured, string key, bool azureProfile)
    {
        if (string.IsNullOrEmpty(configured))
            return azureProfile ? $"{key} is required in the azure profile (base64 of at least {MinimumBytes} random bytes, e.g. `openssl rand -base64 48`; every instance must share it)" : null;
        if (IsUnresolvedKeyVaultReference(configured)) return UnresolvedReferenceProblem(key);
        if (azureProfile && Base64Length(configured) < MinimumBytes)
            return $"{key} must be base64 of at least {MinimumBytes} bytes in the azure profile (e.g. `openssl rand -base64 48`)";
        return FromConfigured(configured).Length < MinimumBytes ? $"{key} must be at least {MinimumBytes} bytes" : null;
    }

    /// <summary>What App Service leaves in a setting whose Key Vault reference it could not resolve.</summary>
    public const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";

    /// <summary>
    /// Whether <paramref name="value"/> is still a Key Vault reference: App Service passes the literal
    /// <c>@Microsoft.KeyVault(...)</c> text to the app when it cannot resolve one (for instance before the
    /// app's role assignment on the vault has taken effect).
    /// </summary>
    public static bool IsUnresolvedKeyVaultReference(string? value) =>
        value is not null && value.TrimStart().StartsWith(KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>One problem per setting of <paramref name="configuration"/> that still holds a Key Vault reference, naming the key, never the value.</summary>
    public static IEnumerable<string> UnresolvedKeyVaultReferences(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => IsUnresolvedKeyVaultReference(kv.Value))
            .Select(kv => kv.Key)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .Select(UnresolvedReferenceProblem);

    private static string UnresolvedReferenceProblem(string key) =>
        $"{key} holds an unresolved Key Vault reference (@Microsoft.KeyVault(...)): the app cannot read the secret yet; " +
        "check the reference and the app identity's role on the vault, then restart";

    private static int Base64Length(string value)
    {
        Span<byte> buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var n) ? n : 0;
    }

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
