using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// The embedded default provider: deterministic image processing with libvips standing in for the
/// hosted AI models, so the whole API works (and is testable) offline. Each model really transforms
/// its input in the way it claims, just without the AI.
/// </summary>
public sealed class LocalModelProvider : IModelProvider
{
    // Headers are checked again here (cheaply) because a decoder must never be handed a pixel bomb,
    // whoever the caller is.
    private const long MaxInputPixels = 50_000_000;

    private readonly SemaphoreSlim gate;

    /// <param name="maxConcurrentRuns">
    /// Runs allowed at once. libvips already spreads one run over every core, so more than one or two
    /// only adds memory pressure; it also keeps libvips' process-wide error text attributable.
    /// </param>
    public LocalModelProvider(int maxConcurrentRuns = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentRuns, 1);
        gate = new SemaphoreSlim(maxConcurrentRuns, maxConcurrentRuns);
    }

    public string Name => "local";

    public Task<string?> CheckAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Vips.UnavailableReason);

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Not transient: retrying cannot install a library.
        if (Vips.UnavailableReason is { } reason) throw new ModelException(reason);

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outputs = await Task.Run(() => Run(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            return new ModelResult(outputs, "local/" + request.Model, Strategy: "in-process");
        }
        finally
        {
            gate.Release();
        }
    }

    private static IReadOnlyList<ModelOutput> Run(ModelRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return (request.Model, request.Parameters) switch
            {
                (ModelNames.Gfpgan, GfpganParameters p) => [GfpganModel.Run(Input(request, "image"), p)],
                (ModelNames.ReplaceStyle, StyleParameters p) => [StyleModel.Run(Input(request, "image"), p)],
                (ModelNames.ReplaceBackground, BackgroundParameters) =>
                    [BackgroundModel.Run(Input(request, "fg"), Input(request, "bg"))],
                (ModelNames.IcLight, IcLightParameters p) =>
                    IcLightModel.Run(Input(request, "subject_image"), p, cancellationToken),
                _ => throw new ModelException(
                    $"model '{request.Model}' with {request.Parameters.GetType().Name} is not supported", isInputError: true),
            };
        }
        catch (VipsUnavailableException e)
        {
            throw new ModelException(e.Message, inner: e);
        }
        catch (VipsInputException e)
        {
            throw new ModelException($"unusable input image: {e.Message}", isInputError: true, inner: e);
        }
        catch (VipsException e)
        {
            throw new ModelException($"local model {request.Model} failed: {e.Message}", inner: e);
        }
    }

    private static byte[] Input(ModelRequest request, string field)
    {
        if (!request.Images.TryGetValue(field, out var file) || file is not { Length: > 0 })
            throw new ModelException($"missing image '{field}'", isInputError: true);
        if (ImageProbe.TryProbe(file) is { Pixels: > MaxInputPixels } info)
            throw new ModelException($"image '{field}' is too large ({info.Width}x{info.Height})", isInputError: true);
        return file;
    }
}
