using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Jobs;

public sealed class JobsOptions
{
    public const string Section = "Wati:Jobs";

    /// <summary>How long a submit waits for its result by default (<c>Prefer: wait=N</c> overrides, up to <see cref="MaxWaitSeconds"/>).</summary>
    [Range(0, 200)] public int SyncWaitSeconds { get; set; } = 60;

    /// <summary>
    /// The longest wait <c>Prefer: wait=N</c> may ask for. Under Azure Functions at most
    /// <see cref="MaxWaitSecondsOnFunctions"/> (<see cref="FunctionsProblems"/>, checked at the worker's start).
    /// </summary>
    [Range(1, 600)] public int MaxWaitSeconds { get; set; } = 200;

    /// <summary>
    /// The longest wait allowed where the host is Azure Functions: Azure ends an HTTP-triggered call that
    /// has not answered after 230 s, whatever <c>functionTimeout</c> says (Azure Functions documentation,
    /// "Function app timeout duration": the Azure Load Balancer's idle timeout); 10 s are left to write
    /// the answer (a job read and signed URLs) after the wait ends.
    /// </summary>
    public const int MaxWaitSecondsOnFunctions = 220;

    /// <summary>The waits that would outlive Azure's 230 s HTTP limit, naming the key (issue 17; <see cref="SyncWaitSeconds"/> is at most 200 anyway).</summary>
    public IEnumerable<string> FunctionsProblems()
    {
        if (MaxWaitSeconds > MaxWaitSecondsOnFunctions)
            yield return $"Wati:Jobs:MaxWaitSeconds must be at most {MaxWaitSecondsOnFunctions} under Azure Functions " +
                         $"(Azure ends an HTTP response after 230 s), not {MaxWaitSeconds}";
    }

    /// <summary>Queued or running jobs one user may have at once (429 above).</summary>
    [Range(1, 100_000)] public int MaxActivePerUser { get; set; } = 4;

    /// <summary>
    /// How long a worker owns a running job, in seconds, unless it renews the lease (it does, every third
    /// of it, while the model runs); after that another worker, or the sweeper, takes the job over.
    /// </summary>
    [Range(3, 3600)] public int LeaseSeconds { get; set; } = 120;

    /// <summary>Model runs a job gets (first run and retries after failures or lost workers); the last failure refunds.</summary>
    [Range(1, 20)] public int MaxAttempts { get; set; } = 3;

    /// <summary>Times a job may be put back because the provider throttled it (429); these do not count as attempts.</summary>
    [Range(0, 1000)] public int MaxThrottles { get; set; } = 20;

    /// <summary>How often the sweeper looks for jobs that lost their message or their worker, in seconds.</summary>
    [Range(1, 3600)] public int SweepSeconds { get; set; } = 10;

    /// <summary>
    /// A queued job whose message was last sent this many seconds ago is sent again by the sweeper (a
    /// duplicate is harmless: the job record decides). 0: the lease length.
    /// </summary>
    [Range(0, 86_400)] public int RequeueAfterSeconds { get; set; }

    /// <summary>
    /// A submit that has not charged after this many seconds is abandoned by the sweeper: its inputs are
    /// deleted and a late charge is refused, so nothing is charged for a job that cannot run.
    /// </summary>
    [Range(10, 86_400)] public int AbandonSubmitAfterSeconds { get; set; } = 300;

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

    /// <summary>
    /// Largest output one call may ask for, in pixels per image (gfpgan: input × scale²; iclight: width ×
    /// height; style and background: the input's size). Checked before charging: 400 naming the limit.
    /// </summary>
    [Range(1, long.MaxValue)] public long MaxOutputPixels { get; set; } = 16_000_000;

    /// <summary>
    /// Longest side of an output image, in pixels (16383: WebP's limit; JPEG's is 65500), checked with
    /// <see cref="MaxOutputPixels"/> before charging: a 20000x10 image scaled 4 times is small but cannot be encoded.
    /// </summary>
    [Range(64, 65_500)] public int MaxOutputSide { get; set; } = 16_383;

    /// <summary>
    /// Model runs at once in this process; a job waiting for a slot is still queued, not running. 0: the
    /// provider's default, see <see cref="ConcurrentRuns"/>.
    /// </summary>
    [Range(0, 1024)] public int MaxConcurrentRuns { get; set; }

    /// <summary>
    /// The slots in effect: <see cref="MaxConcurrentRuns"/> when set, else 1 for <c>local</c> (libvips
    /// spreads one image over every core) and 16 for <c>replicate</c> (the work runs remotely).
    /// </summary>
    public int ConcurrentRuns => MaxConcurrentRuns > 0 ? MaxConcurrentRuns
        : Provider.Equals("replicate", StringComparison.OrdinalIgnoreCase) ? 16 : 1;
}
