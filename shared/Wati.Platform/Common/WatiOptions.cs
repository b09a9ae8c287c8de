using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Common;

/// <summary>Top-level settings (<c>Wati:*</c>). Each feature has its own section beside this one.</summary>
public sealed class WatiOptions
{
    public const string Section = "Wati";

    /// <summary><c>embedded</c> (SQLite, files, local models) or <c>azure</c> (<see cref="PlatformProfile"/>).</summary>
    [Required]
    public string Profile { get; set; } = PlatformProfile.Embedded;

    /// <summary>True in the azure profile, where nothing may be generated on local disk.</summary>
    public bool IsAzure => Profile.Equals(PlatformProfile.Azure, StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the embedded profile keeps its databases, files and generated keys.</summary>
    [Required]
    public string DataDir { get; set; } = ".wati";

    /// <summary>Absolute base URL for links in answers; null = taken from each request (embedded profile only).</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Every problem, each naming its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (PublicBaseUrl is { Length: > 0 } && !Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _))
            yield return "Wati:PublicBaseUrl must be an absolute URL";
        if (IsAzure && string.IsNullOrWhiteSpace(PublicBaseUrl))
            yield return "Wati:PublicBaseUrl is required in the azure profile (links cannot be taken from requests behind a gateway)";
    }

    public string DataPath(params string[] parts) => Path.GetFullPath(Path.Combine([DataDir, .. parts]));
}
