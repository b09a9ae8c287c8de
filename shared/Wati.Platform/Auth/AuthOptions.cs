using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Auth;

public sealed class AuthOptions
{
    public const string Section = "Wati:Auth";

    [Required] public string Issuer { get; set; } = "wati-aigc";
    [Required] public string Audience { get; set; } = "wati-aigc-api";

    /// <summary>HMAC-SHA256 key for access tokens (base64, or text of at least 32 bytes). Embedded profile: generated when absent.</summary>
    public string? SigningKey { get; set; }

    [Range(1, 7 * 24 * 60)] public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>PBKDF2-SHA256 iterations for new hashes (OWASP 2023: 600,000). Stored hashes keep their own count.</summary>
    [Range(1_000, 10_000_000)] public int PasswordIterations { get; set; } = 600_000;

    [Range(8, 128)] public int MinPasswordLength { get; set; } = 10;
}
