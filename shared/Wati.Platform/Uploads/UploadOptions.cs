using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Uploads;

/// <summary>Settings of section <c>Wati:Uploads</c>: upload size, pixel, decode and quota limits (README, settings table).</summary>
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

    /// <summary>
    /// Most scans (SOS segments) a JPEG may have, counted from its markers before anything is decoded
    /// (issue 24, finding 1). Each scan of a progressive file is a full pass over the image's
    /// coefficients, so decode time grows with the count, and a few hundred bytes per scan are enough
    /// to make one: libjpeg's default progression writes 10 scans, jpegtran and mozjpeg scripts a few
    /// dozen, and libjpeg-turbo's own guard (TurboJPEG's scan limit, libjpeg-turbo issue 284) stops at
    /// 500. 100 keeps every file a camera or encoder writes with room to spare, and costs under a
    /// second at 40 MP where 2,600 scans cost 21 s.
    /// </summary>
    [Range(1, 10_000)] public int MaxJpegScans { get; set; } = DecodeLimits.DefaultMaxJpegScans;

    /// <summary>
    /// Largest PNG with 16 bits per channel, in pixels: libvips holds such a file at 8 bytes a pixel
    /// (RGBA) before it is cast to 8 bits, so a 40 MP one needs 420 MB. 16 MP bounds it to 128 MB.
    /// </summary>
    [Range(1, 1_000_000_000)] public long MaxHighDepthPixels { get; set; } = DecodeLimits.DefaultMaxHighDepthPixels;

    /// <summary>
    /// Longest one request-path decode may take, in milliseconds; past it the answer is 400 naming the
    /// field (<c>details.reason</c> <c>decode_time_limit</c>) and libvips is told to stop (its kill flag).
    /// </summary>
    [Range(10, 600_000)] public int MaxDecodeMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// Request-path decodes this process runs at once (upload checks, URL inputs); 0 = one per core.
    /// Each holds at most one image's pixels (40 MP x 4 bytes), so this also bounds decode memory.
    /// </summary>
    [Range(0, 256)] public int MaxConcurrentDecodes { get; set; }

    /// <summary>How long a decode waits for a free decode slot before the answer is 429 with Retry-After, in milliseconds.</summary>
    [Range(0, 60_000)] public int DecodeQueueMilliseconds { get; set; } = 2_000;

    /// <summary>Bytes of stored (unexpired) uploads one user may hold (413 above); default 1 GiB.</summary>
    [Range(1024, long.MaxValue)] public long MaxStoredBytesPerUser { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Stored (unexpired) uploads one user may hold (429 above, Retry-After until the oldest expires).</summary>
    [Range(1, 100_000)] public int MaxStoredUploadsPerUser { get; set; } = 1_000;

    /// <summary>The decode limits these settings give.</summary>
    public DecodeLimits ToDecodeLimits() => new(MaxJpegScans, MaxHighDepthPixels);
}
