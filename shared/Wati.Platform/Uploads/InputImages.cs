using NetVips;

namespace Wati.Platform.Uploads;

/// <summary>
/// The one input normalisation every image goes through, at the upload check and again in the local
/// models' decode: the loader of the format its bytes show (no other libvips loader is reachable),
/// libvips' fail-on at <see cref="Enums.FailOn.Error"/> for PNG and WebP and at
/// <see cref="Enums.FailOn.Warning"/> for JPEG (truncation and worse fail instead of decoding as grey or
/// black; libjpeg reports damaged entropy data, "corrupt JPEG data", only as a warning, while libpng's
/// warnings are mostly harmless profile notes), the first frame only, EXIF orientation applied (all eight values), any
/// embedded ICC profile (RGB, CMYK, grey) converted to sRGB, and 8-bit sRGB pixels (alpha kept).
/// </summary>
public static class InputImages
{
    /// <summary>Loads and normalises <paramref name="file"/>; pixels are decoded lazily, when first read.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <param name="field">The form field the file came in, named in any error.</param>
    /// <param name="limits">Decode cost bounds checked from the bytes before libvips sees them; <see cref="DecodeLimits.Default"/> when null.</param>
    /// <exception cref="InputImageException">Not a JPEG, PNG or WebP; over a decode limit; a header libvips refuses; an unusable colour profile.</exception>
    public static NormalisedImage Open(byte[] file, string field, DecodeLimits? limits = null)
    {
        var probed = ImageProbe.TryProbe(file) ??
                     throw new InputImageException(field, InputImageProblem.NotAnImage, "not a JPEG, PNG or WebP header");
        var format = probed.Format;
        CheckCost(file, probed, field, limits ?? DecodeLimits.Default);
        VipsErrors.Clear();
        Image loaded;
        try
        {
            loaded = format switch
            {
                ImageFormat.Jpeg => Image.JpegloadBuffer(file, failOn: Enums.FailOn.Warning),
                ImageFormat.Png => Image.PngloadBuffer(file, failOn: Enums.FailOn.Error),
                _ => Image.WebploadBuffer(file, failOn: Enums.FailOn.Error),
            };
        }
        catch (VipsException e)
        {
            throw new InputImageException(field, InputImageProblem.Damaged, e.Message, e);
        }

        var orientation = loaded.Contains("orientation") ? (int)loaded.Get("orientation") : 1;
        var frames = loaded.Contains("n-pages") ? (int)loaded.Get("n-pages") : 1;
        var image = orientation is > 1 and <= 8 ? loaded.Autorot() : loaded;

        var profiled = image.Contains("icc-profile-data");
        if (profiled || image.Interpretation == Enums.Interpretation.Cmyk)
        {
            try
            {
                // The embedded profile when there is one; a CMYK file without one is read with
                // libvips' built-in CMYK profile. The result carries the sRGB profile.
                image = image.IccTransform("srgb", embedded: true,
                    inputProfile: image.Interpretation == Enums.Interpretation.Cmyk ? "cmyk" : "srgb",
                    intent: Enums.Intent.Relative);
            }
            catch (VipsException e)
            {
                throw new InputImageException(field, InputImageProblem.ColourProfile, e.Message, e);
            }
        }
        if (image.Interpretation != Enums.Interpretation.Srgb || image.Bands < 3)
            image = image.Colourspace(Enums.Interpretation.Srgb);
        if (image.Format != Enums.BandFormat.Uchar) image = image.Cast(Enums.BandFormat.Uchar);

        return new NormalisedImage(image, format, Rotated: orientation is > 1 and <= 8, ColourConverted: profiled,
            FirstFrameOnly: frames > 1);
    }

    /// <summary>
    /// Refuses, from the bytes alone, a file whose decode would cost far more than its pixel count says
    /// (issue 24, finding 1): a JPEG with more scans than <see cref="DecodeLimits.MaxJpegScans"/>, a
    /// 16-bit PNG over <see cref="DecodeLimits.MaxHighDepthPixels"/>. WebP decodes in one pass, so its
    /// cost is bounded by its pixels already.
    /// </summary>
    private static void CheckCost(byte[] file, ImageInfo probed, string field, DecodeLimits limits)
    {
        if (probed.Format == ImageFormat.Jpeg && ImageProbe.CountJpegScans(file, limits.MaxJpegScans + 1) is var scans &&
            scans > limits.MaxJpegScans)
            throw new InputImageException(field, InputImageProblem.TooManyScans, $"more than {limits.MaxJpegScans} scans ({scans}+ counted)",
                limit: limits.MaxJpegScans);
        if (probed.Format == ImageFormat.Png && ImageProbe.PngBitDepth(file) > 8 && probed.Pixels > limits.MaxHighDepthPixels)
            throw new InputImageException(field, InputImageProblem.HighDepthTooLarge,
                $"16-bit PNG of {probed.Pixels} pixels", limit: limits.MaxHighDepthPixels);
    }

    /// <summary>
    /// Decodes every pixel of <paramref name="image"/> into memory, so a file that does not decode
    /// completely fails here, clearly the input's fault, and not halfway through a pipeline.
    /// </summary>
    /// <param name="image">The opened input.</param>
    /// <param name="field">The field named in any error.</param>
    /// <param name="ct">Canceling it sets libvips' kill flag on the decode (<see cref="Stoppable"/>), which stops it at its next tile.</param>
    /// <exception cref="InputImageException">The pixel data is truncated or corrupt.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was canceled; the decode was stopped.</exception>
    public static Image Decode(NormalisedImage image, string field, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        VipsErrors.Clear();
        try
        {
            return Stoppable(image.Image, ct).CopyMemory();
        }
        catch (VipsException e)
        {
            ct.ThrowIfCancellationRequested();
            throw new InputImageException(field, InputImageProblem.Damaged, e.Message, e);
        }
    }

    /// <summary>
    /// Ties libvips' kill flag on <paramref name="image"/> to <paramref name="ct"/> (NetVips'
    /// <c>Image.SetProgress</c> with a token, libvips' progress and kill hooks): once it is canceled,
    /// evaluating the image fails at the next tile libvips computes. A single call inside a loader
    /// (libjpeg reading every scan) runs to its end first, which is why scans are bounded before.
    /// </summary>
    public static Image Stoppable(Image image, CancellationToken ct)
    {
        if (ct.CanBeCanceled) image.SetProgress(NoProgress.Instance, ct);
        return image;
    }

    private sealed class NoProgress : IProgress<int>
    {
        public static readonly NoProgress Instance = new();

        public void Report(int value)
        {
            // Only the kill hook is wanted.
        }
    }

    /// <summary>
    /// Encodes a normalised image in <paramref name="format"/>. EXIF and XMP are dropped (they may hold
    /// the user's GPS position), the sRGB profile is kept, so the file says what its pixels mean.
    /// </summary>
    public static byte[] Encode(Image image, ImageFormat format, int quality = 90)
    {
        VipsErrors.Clear();
        return format switch
        {
            ImageFormat.Jpeg => image.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.Icc),
            ImageFormat.Png => image.PngsaveBuffer(keep: Enums.ForeignKeep.Icc),
            _ => image.WebpsaveBuffer(q: quality, keep: Enums.ForeignKeep.Icc),
        };
    }
}

/// <summary>
/// A loaded, normalised input: upright, 8-bit sRGB. <see cref="Image"/> is lazy. The flags say what
/// the normalisation changed compared with the file's own pixels.
/// </summary>
public sealed record NormalisedImage(Image Image, ImageFormat Format, bool Rotated, bool ColourConverted, bool FirstFrameOnly)
{
    /// <summary>True when the file's bytes differ from what viewers show, so they must be re-encoded.</summary>
    public bool Changed => Rotated || ColourConverted || FirstFrameOnly;
}

/// <summary>What is wrong with an input image, each with one stable public message.</summary>
public enum InputImageProblem
{
    /// <summary>Not a JPEG, PNG or WebP by its bytes.</summary>
    NotAnImage,

    /// <summary>libvips refused the header or could not decode every pixel (truncated, corrupt).</summary>
    Damaged,

    /// <summary>The embedded ICC profile could not be used to convert to sRGB.</summary>
    ColourProfile,

    /// <summary>A JPEG with more scans than <see cref="DecodeLimits.MaxJpegScans"/> (a scan bomb).</summary>
    TooManyScans,

    /// <summary>A 16-bit PNG over <see cref="DecodeLimits.MaxHighDepthPixels"/>.</summary>
    HighDepthTooLarge,
}

/// <summary>
/// What one decode may cost beyond its pixel count (issue 24, finding 1; defaults and reasons on
/// <see cref="UploadOptions.MaxJpegScans"/> and <see cref="UploadOptions.MaxHighDepthPixels"/>).
/// </summary>
public sealed record DecodeLimits(int MaxJpegScans, long MaxHighDepthPixels)
{
    /// <summary>Default of <see cref="MaxJpegScans"/>.</summary>
    public const int DefaultMaxJpegScans = 100;

    /// <summary>Default of <see cref="MaxHighDepthPixels"/>.</summary>
    public const long DefaultMaxHighDepthPixels = 16_000_000;

    /// <summary>The defaults, for callers without options.</summary>
    public static DecodeLimits Default { get; } = new(DefaultMaxJpegScans, DefaultMaxHighDepthPixels);
}

/// <summary>
/// An input image that cannot be used. <see cref="Exception.Message"/> is our own stable text, safe
/// for answers and job records; the library's words are in <see cref="Detail"/>, for the log only.
/// </summary>
public sealed class InputImageException(string field, InputImageProblem problem, string detail, Exception? inner = null, long? limit = null)
    : Exception(PublicMessage(problem, limit), inner)
{
    /// <summary>The field the input came in.</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong.</summary>
    public InputImageProblem Problem { get; } = problem;

    /// <summary>The limit the input is over, for the limit problems; null otherwise.</summary>
    public long? Limit { get; } = limit;

    /// <summary>The raw library text: log it with the request id, never answer it.</summary>
    public string Detail { get; } = detail;

    /// <summary>Machine-readable reason for <c>details.reason</c>.</summary>
    public string Reason => Problem switch
    {
        InputImageProblem.NotAnImage => "unsupported_format",
        InputImageProblem.ColourProfile => "unsupported_colour_profile",
        InputImageProblem.TooManyScans => "too_many_scans",
        InputImageProblem.HighDepthTooLarge => "high_bit_depth_too_large",
        _ => "incomplete_image",
    };

    /// <summary>The stable public text of <paramref name="problem"/>; <paramref name="limit"/> is named by the limit problems.</summary>
    public static string PublicMessage(InputImageProblem problem, long? limit = null) => problem switch
    {
        InputImageProblem.NotAnImage => "not a JPEG, PNG or WebP image",
        InputImageProblem.ColourProfile => "unsupported colour profile",
        InputImageProblem.TooManyScans => $"the JPEG has more than {limit} scans; no camera or encoder writes that many (save it again)",
        InputImageProblem.HighDepthTooLarge => $"a 16-bit PNG may have at most {limit} pixels (save it with 8 bits per channel)",
        _ => "the image data is incomplete or corrupt",
    };
}

/// <summary>
/// libvips keeps one process-wide error buffer, and a permissive call can leave text in it that a
/// later failure (another request's) would report. It is cleared before each of our calls, and
/// NetVips' exception reads and clears it on failure; its text never reaches an answer.
/// </summary>
internal static class VipsErrors
{
    // NetVips has no public vips_error_clear; its exception constructor reads and clears the buffer.
    public static void Clear() => _ = new VipsException(string.Empty);
}
