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

    /// <summary>
    /// Password hashes computed at once in this process (log-in, sign-up, start-up's admin check); 0: one
    /// fewer than the cores (at least 1), so hashing always leaves a core to every other request (issue 24 finding 4).
    /// </summary>
    [Range(0, 256)] public int PasswordHashingConcurrency { get; set; }

    /// <summary>Hashes that may wait for a slot; one more is refused at once with 429 RATE_LIMIT_EXCEEDED.</summary>
    [Range(0, 10_000)] public int PasswordHashingQueue { get; set; } = 16;

    /// <summary>The longest a hash waits for a slot before it is refused with 429 RATE_LIMIT_EXCEEDED.</summary>
    [Range(1, 60_000)] public int PasswordHashingWaitMilliseconds { get; set; } = 2_000;

    /// <summary>The concurrency in effect: <see cref="PasswordHashingConcurrency"/>, or the cores less one.</summary>
    public int EffectivePasswordHashingConcurrency =>
        PasswordHashingConcurrency > 0 ? PasswordHashingConcurrency : Math.Max(1, Environment.ProcessorCount - 1);
}
