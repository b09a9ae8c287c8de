using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Batches;

/// <summary>Batch settings (<c>Wati:Batches</c>).</summary>
public sealed class BatchesOptions
{
    public const string Section = "Wati:Batches";

    /// <summary>Items one batch may have (400 above).</summary>
    [Range(1, 10_000)] public int MaxItems { get; set; } = 1000;

    /// <summary>How long the feeder waits before looking at a running batch again (free job slots, finished items), in milliseconds.</summary>
    [Range(10, 60_000)] public int FeedIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Largest <c>POST /v1/batches</c> body, in bytes.</summary>
    [Range(1024, 16 * 1024 * 1024)] public int MaxBodyBytes { get; set; } = 2 * 1024 * 1024;
}
