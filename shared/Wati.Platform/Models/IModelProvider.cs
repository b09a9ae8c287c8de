namespace Wati.Platform.Models;

/// <summary>
/// Runs one model call (design section 10). Implementations: <c>local</c> (libvips, embedded default)
/// and <c>replicate</c> (production). Inputs arrive as bytes already checked to be JPEG, PNG or WebP.
/// </summary>
public interface IModelProvider
{
    string Name { get; }

    /// <summary>Runs the model once; the outputs in order, with what ran them.</summary>
    /// <exception cref="ModelException">The model rejected the input or failed.</exception>
    Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default);

    /// <summary>Readiness: null when the provider can run, else what is wrong and how to fix it.</summary>
    Task<string?> CheckAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Called by <see cref="ModelPipeline"/> once a run has failed for good (or its caller gave up): stop
    /// whatever <paramref name="run"/>'s attempts left running at the provider. Best effort, never throws.
    /// </summary>
    Task AbandonAsync(ModelRun run) => Task.CompletedTask;
}

/// <summary>
/// What the attempts of one <see cref="ModelPipeline"/> run share: the caller's token (so a provider can tell
/// the caller giving up from one attempt timing out) and the provider's own state, e.g. the Replicate
/// prediction a timed-out attempt left running, which the next attempt polls instead of creating another
/// (Replicate bills canceled predictions; issue 17).
/// </summary>
public sealed class ModelRun
{
    /// <summary>The caller's token: canceled when the job is canceled or its host stops, never by an attempt's timeout.</summary>
    public CancellationToken Caller { get; init; }

    /// <summary>Whatever the provider keeps between attempts (null at the first attempt).</summary>
    public object? ProviderState { get; set; }
}

/// <summary>
/// The names of the code models (<see cref="Catalog.ModelCatalog.Code"/>), for code that names one model
/// (the functions' queue constants, tests). Nothing lists models from here: loop over the catalogue.
/// </summary>
public static class ModelNames
{
    public const string Gfpgan = "gfpgan";
    public const string ReplaceStyle = "replace-style";
    public const string ReplaceBackground = "replace-background";
    public const string IcLight = "iclight";
}

/// <summary>Input images by field name (<c>image</c>; <c>fg</c>/<c>bg</c>; <c>subject_image</c>) and typed parameters.</summary>
public sealed record ModelRequest(string Model, IReadOnlyDictionary<string, byte[]> Images, ModelParameters Parameters)
{
    /// <summary>Set by <see cref="ModelPipeline"/>: the state its attempts share. Null when a provider is called directly.</summary>
    public ModelRun? Run { get; init; }
}

/// <summary>
/// A model's validated parameters: a code model's own record (defined in its file under <c>Models/Catalog</c>)
/// or, for a model declared in settings, the value bag <see cref="Catalog.ModelValues"/>.
/// </summary>
public abstract record ModelParameters;

/// <summary>
/// What one model run produced. <paramref name="ModelId"/> names what ran it (Replicate's
/// <c>owner/name:version</c>, or <c>local/{model}</c>); <paramref name="PredictionId"/> is the provider's
/// id for the run when it has one (Replicate); <paramref name="Strategy"/> how inputs reached the
/// provider (e.g. <c>data-uri</c>, <c>upload-to-replicate</c>, <c>in-process</c>).
/// </summary>
public sealed record ModelResult(IReadOnlyList<ModelOutput> Outputs, string ModelId, string? PredictionId = null,
    string? Strategy = null);

/// <summary>
/// One output. <paramref name="Extension"/> without the dot: jpg, png, webp (or a video or audio extension);
/// <paramref name="Width"/> and <paramref name="Height"/> are 0 for audio.
/// </summary>
public sealed record ModelOutput(byte[] Bytes, string ContentType, string Extension, int Width, int Height);

/// <summary>
/// A model failure. <see cref="IsInputError"/>: the model rejected the input (400, never retried);
/// otherwise it failed (500) and may be retried when <see cref="IsTransient"/>. The message comes partly
/// from the provider, so it is cut to <see cref="OutsideText.ErrorMaxChars"/>.
/// </summary>
public sealed class ModelException(string message, bool isInputError = false, bool isTransient = false,
    TimeSpan? retryAfter = null, Exception? inner = null) : Exception(OutsideText.Bound(message), inner)
{
    /// <summary>The caller's input is at fault (400, refunded, never retried).</summary>
    public bool IsInputError { get; } = isInputError;

    /// <summary>A later attempt may succeed.</summary>
    public bool IsTransient { get; } = isTransient;

    /// <summary>When to come back, from the provider (a 429's header or body hint).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>
    /// The provider throttled us (429): waited out per <see cref="RetryAfter"/>, counted against
    /// <see cref="Jobs.JobsOptions.MaxThrottles"/> rather than attempts, and never a circuit-breaker failure.
    /// </summary>
    public bool IsThrottled { get; init; }

    /// <summary>
    /// Not null: our configuration is wrong, not the input and not the provider (e.g. Replicate's "Invalid
    /// version or not permitted"); the setting to fix. The job fails with <c>INTERNAL_ERROR</c> and is refunded.
    /// </summary>
    public string? ConfigurationKey { get; init; }
}
