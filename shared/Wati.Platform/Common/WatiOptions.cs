using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Common;

/// <summary>Top-level settings (<c>Wati:*</c>). Each feature has its own section beside this one.</summary>
public sealed class WatiOptions
{
    public const string Section = "Wati";

    /// <summary><c>embedded</c> (SQLite, files, local models) or <c>azure</c>.</summary>
    [Required]
    public string Profile { get; set; } = "embedded";

    /// <summary>Where the embedded profile keeps its databases, files and generated keys.</summary>
    [Required]
    public string DataDir { get; set; } = ".wati";

    /// <summary>Absolute base URL for links in answers; null = taken from each request.</summary>
    public string? PublicBaseUrl { get; set; }

    public string DataPath(params string[] parts) => Path.GetFullPath(Path.Combine([DataDir, .. parts]));
}

public sealed class BootstrapOptions
{
    public const string Section = "Wati:Bootstrap";

    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}
