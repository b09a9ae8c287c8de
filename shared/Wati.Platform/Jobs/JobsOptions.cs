using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Jobs;

public sealed class JobsOptions
{
    public const string Section = "Wati:Jobs";

    /// <summary>How long a submit waits for its result by default (<c>Prefer: wait=N</c> overrides, up to <see cref="MaxWaitSeconds"/>).</summary>
    [Range(0, 200)] public int SyncWaitSeconds { get; set; } = 60;

    [Range(1, 600)] public int MaxWaitSeconds { get; set; } = 200;

    /// <summary>Queued or running jobs one user may have at once (429 above).</summary>
    [Range(1, 1000)] public int MaxActivePerUser { get; set; } = 4;

    /// <summary>
    /// How long a worker owns a running job; after that another may take it over. Kept equal to the
    /// queue's visibility timeout, so a crashed worker's redelivered message finds the lease over.
    /// </summary>
    [Range(5, 3600)] public int LeaseSeconds { get; set; } = 120;

    /// <summary>Lifetime of output URLs in answers.</summary>
    [Range(60, 7 * 24 * 3600)] public int OutputUrlSeconds { get; set; } = 3600;

    /// <summary>How long an <c>Idempotency-Key</c> is remembered.</summary>
    [Range(1, 24 * 30)] public int IdempotencyHours { get; set; } = 24;
}

public sealed class ModelsOptions
{
    public const string Section = "Wati:Models";

    /// <summary><c>local</c> (libvips) in the embedded profile.</summary>
    [Required] public string Provider { get; set; } = "local";

    /// <summary>Per-attempt timeout of one model call.</summary>
    [Range(1, 3600)] public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Retries after a transient failure (timeouts, 429, 5xx).</summary>
    [Range(0, 10)] public int MaxRetries { get; set; } = 3;

    /// <summary>Base delay of the jittered exponential backoff.</summary>
    [Range(0, 60_000)] public int RetryBaseDelayMs { get; set; } = 500;
}
