using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Uploads;

public sealed class UploadOptions
{
    public const string Section = "Wati:Uploads";

    /// <summary>Largest accepted file, in bytes (413 above).</summary>
    [Range(1024, 512L * 1024 * 1024)] public long MaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Largest accepted image, in pixels, read from the header before any decode (400 above).</summary>
    [Range(1, 1_000_000_000)] public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Hours an upload (<c>POST /v1/uploads</c>) is kept before the sweeper deletes it.</summary>
    [Range(1, 24 * 30)] public int RetentionHours { get; set; } = 24;

    /// <summary>Input URLs over plain http are fetched too: for tests only (https otherwise).</summary>
    public bool AllowHttpUrls { get; set; }

    /// <summary>Input URLs on loopback addresses are fetched too: for tests only (the SSRF guard refuses them otherwise).</summary>
    public bool AllowLoopbackUrls { get; set; }

    /// <summary>How long fetching one input URL may take, in seconds (connect, headers and body).</summary>
    [Range(1, 120)] public int UrlTimeoutSeconds { get; set; } = 20;

    /// <summary>Files one <c>POST /v1/uploads</c> accepts.</summary>
    [Range(1, 100)] public int MaxFilesPerCall { get; set; } = 20;
}
