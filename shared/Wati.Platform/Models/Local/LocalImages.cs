using NetVips;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>Decoding inputs and finishing outputs, the same for every local model.</summary>
internal static class LocalImages
{
    private static readonly Lazy<byte[]> SrgbProfile = new(() =>
    {
        // libvips' built-in sRGB profile, as icc_transform attaches it to what it converts.
        using var pixel = Image.Black(1, 1, bands: 3).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        using var tagged = pixel.IccTransform("srgb", inputProfile: "srgb");
        return (byte[])tagged.Get("icc-profile-data");
    });

    /// <summary>
    /// The normalised input (<see cref="InputImages"/>: upright, 8-bit sRGB, alpha kept), every pixel
    /// decoded into memory, so a broken file fails here as the input's fault.
    /// </summary>
    /// <exception cref="InputImageException">The file does not decode completely or its profile is unusable.</exception>
    /// <param name="file">The input's bytes.</param>
    /// <param name="field">The field named in any error.</param>
    /// <param name="run">The run's decode limits and token (canceling it kills the decode at its next tile).</param>
    public static Image Decode(byte[] file, string field, LocalRun run) =>
        InputImages.Decode(InputImages.Open(file, field, run.Limits), field, run.Token);

    /// <summary>Drops alpha by flattening onto white, for outputs that have no alpha (JPEG) or need none.</summary>
    public static Image Opaque(Image image) =>
        image.HasAlpha() ? image.Flatten(background: [255, 255, 255]).Cast(Enums.BandFormat.Uchar) : image;

    /// <summary>Labels the final pixels as 8-bit sRGB and tags them with the sRGB profile.</summary>
    public static Image Finish(Image image)
    {
        var uchar = image.Format == Enums.BandFormat.Uchar ? image : image.Cast(Enums.BandFormat.Uchar);
        return uchar.Copy(interpretation: Enums.Interpretation.Srgb)
            .Mutate(m => m.Set(GValue.BlobType, "icc-profile-data", SrgbProfile.Value));
    }

    /// <summary>out = in * a + b on every band; float out unless <paramref name="uchar"/>.</summary>
    public static Image Linear(this Image image, double a, double b, bool uchar = false) => image.Linear([a], [b], uchar);

    /// <summary>Encodes the finished image; canceling <paramref name="run"/>'s token stops the encode at its next tile.</summary>
    /// <exception cref="OperationCanceledException">The run was canceled.</exception>
    public static ModelOutput Output(Image image, ImageFormat format, LocalRun run, int quality = 90)
    {
        run.Token.ThrowIfCancellationRequested();
        var info = new ImageInfo(format, image.Width, image.Height);
        try
        {
            var bytes = InputImages.Encode(InputImages.Stoppable(image, run.Token), format, quality);
            return new ModelOutput(bytes, info.ContentType, info.Extension, info.Width, info.Height);
        }
        catch (VipsException) when (run.Token.IsCancellationRequested)
        {
            throw new OperationCanceledException("the run was canceled; libvips stopped", run.Token);
        }
    }
}

/// <summary>What one local run carries to its decodes and encodes: the decode limits and the run's token.</summary>
/// <param name="Limits">Decode cost bounds for inputs.</param>
/// <param name="Token">Canceled when the run is abandoned; it also stops libvips at its next tile.</param>
public sealed record LocalRun(DecodeLimits Limits, CancellationToken Token);

/// <summary>
/// A local run's input images by field, each checked when taken: present and not empty, and its header
/// under the decoder's pixel bound (a decoder is never handed a pixel bomb, whoever the caller is).
/// </summary>
public sealed class LocalInputs(IReadOnlyDictionary<string, byte[]> images)
{
    // Headers are checked again here (cheaply): the upload checks may not have seen these bytes.
    private const long MaxInputPixels = 50_000_000;

    /// <summary>The bytes of image <paramref name="field"/>.</summary>
    /// <exception cref="ModelException">It is missing or too large (input errors).</exception>
    public byte[] this[string field]
    {
        get
        {
            if (!images.TryGetValue(field, out var file) || file is not { Length: > 0 })
                throw new ModelException($"missing image '{field}'", isInputError: true);
            if (ImageProbe.TryProbe(file) is { Pixels: > MaxInputPixels } info)
                throw new ModelException($"image '{field}' is too large ({info.Width}x{info.Height})", isInputError: true);
            return file;
        }
    }

    /// <summary>The field names given, in order.</summary>
    public IEnumerable<string> Fields => images.Keys;
}
