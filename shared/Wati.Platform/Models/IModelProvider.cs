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

public static class ModelNames
{
    public const string Gfpgan = "gfpgan";
    public const string ReplaceStyle = "replace-style";
    public const string ReplaceBackground = "replace-background";
    public const string IcLight = "iclight";

    public static readonly IReadOnlyList<string> All = [Gfpgan, ReplaceStyle, ReplaceBackground, IcLight];
}

/// <summary>Input images by field name (<c>image</c>; <c>fg</c>/<c>bg</c>; <c>subject_image</c>) and typed parameters.</summary>
public sealed record ModelRequest(string Model, IReadOnlyDictionary<string, byte[]> Images, ModelParameters Parameters)
{
    /// <summary>Set by <see cref="ModelPipeline"/>: the state its attempts share. Null when a provider is called directly.</summary>
    public ModelRun? Run { get; init; }
}

public abstract record ModelParameters;

/// <summary><paramref name="Scale"/> 1..4; <paramref name="Version"/> "1.3" or "1.4".</summary>
public sealed record GfpganParameters(int Scale, string Version) : ModelParameters;

/// <summary><paramref name="Style"/> one of <see cref="Styles.All"/>.</summary>
public sealed record StyleParameters(string Style) : ModelParameters;

/// <summary>Images <c>fg</c> and <c>bg</c>; the output has <c>bg</c>'s size.</summary>
public sealed record BackgroundParameters : ModelParameters;

/// <summary>
/// <paramref name="LightSource"/> one of <see cref="LightSources.All"/>; <paramref name="Width"/> and
/// <paramref name="Height"/> 256..1024 in steps of 64; <paramref name="NumberOfImages"/> 1..12;
/// <paramref name="OutputFormat"/> webp, jpg or png.
/// </summary>
public sealed record IcLightParameters(string Prompt, string LightSource, int Steps, double Cfg, int Width, int Height,
    int NumberOfImages, string OutputFormat) : ModelParameters;

public static class Styles
{
    public static readonly IReadOnlyList<string> All = ["anime", "sketch", "vintage", "noir", "watercolor", "pop-art"];
}

public static class LightSources
{
    public static readonly IReadOnlyList<string> All = ["None", "Left Light", "Right Light", "Top Light", "Bottom Light"];
}

/// <summary>
/// What one model run produced. <paramref name="ModelId"/> names what ran it (Replicate's
/// <c>owner/name:version</c>, or <c>local/{model}</c>); <paramref name="PredictionId"/> is the provider's
/// id for the run when it has one (Replicate); <paramref name="Strategy"/> how inputs reached the
/// provider (e.g. <c>data-uri</c>, <c>upload-to-replicate</c>, <c>in-process</c>).
/// </summary>
public sealed record ModelResult(IReadOnlyList<ModelOutput> Outputs, string ModelId, string? PredictionId = null,
    string? Strategy = null);

/// <summary>One output image. <paramref name="Extension"/> without the dot: jpg, png, webp.</summary>
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
