using System.Security.Cryptography;
using System.Text;
using NetVips;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// The local stand-in for a settings-declared <c>image</c> or <c>images</c> model (issue 18, item 3: "an image
/// derived from its first image input"): the input, its hue turned and its tone lifted by an amount that
/// depends on the output's index, so the outputs of one call differ from the input and from each other, and
/// the same call always gives the same pixels. A model with no image input gets a gradient whose colours
/// derive from its other inputs instead.
/// </summary>
internal static class LocalDerivedImage
{
    /// <summary>The size of the gradient drawn when a model has no image input.</summary>
    public const int GeneratedSide = 512;

    /// <summary>Output <paramref name="index"/> (0-based) derived from <paramref name="firstImage"/>, as a JPEG of its size.</summary>
    /// <param name="firstImage">The model's first image input; null when it has none (then <paramref name="seed"/> draws a gradient).</param>
    /// <param name="index">Which output of the call, 0-based.</param>
    /// <param name="seed">The call's other inputs in a stable order (e.g. <c>prompt=a cat;steps=20</c>); only used without an image.</param>
    /// <param name="run">Decode limits and the run's token.</param>
    /// <exception cref="InputImageException">The image input is not usable.</exception>
    /// <exception cref="OperationCanceledException">The run was canceled.</exception>
    public static ModelOutput Run(byte[]? firstImage, int index, string seed, LocalRun run)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        run.Token.ThrowIfCancellationRequested();
        var image = firstImage is null ? Gradient(seed) : LocalImages.Opaque(LocalImages.Decode(firstImage, "image", run));
        return LocalImages.Output(LocalImages.Finish(Shift(image, index)), ImageFormat.Jpeg, run);
    }

    /// <summary>Turns the hue by 25° per output (the first one too) and lifts lightness a little, in LCh.</summary>
    private static Image Shift(Image rgb, int index) =>
        rgb.Colourspace(Enums.Interpretation.Lch)
            .Linear([1, 1.1, 1], [4, 0, 25.0 * (index + 1) % 360])
            .Colourspace(Enums.Interpretation.Srgb);

    /// <summary>A diagonal two-colour gradient whose colours are bytes of the seed's SHA-256.</summary>
    private static Image Gradient(string seed)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        var xyz = Image.Xyz(GeneratedSide, GeneratedSide);
        var t = (xyz.ExtractBand(0) + xyz.ExtractBand(1)) / (2.0 * (GeneratedSide - 1)); // 0 top left .. 1 bottom right
        var bands = Enumerable.Range(0, 3).Select(b => t * (h[b + 3] - h[b]) + h[b]).ToArray();
        return bands[0].Bandjoin(bands[1], bands[2]).Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
    }
}
