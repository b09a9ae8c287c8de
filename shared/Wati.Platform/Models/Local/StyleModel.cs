using NetVips;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Stand-in for style transfer: a colour, tone or edge treatment per style, same size as the input.
/// Each deliberately shifts overall tone too, so the change is measurable, not just cosmetic.
/// </summary>
internal static class StyleModel
{
    public static ModelOutput Run(byte[] file, StyleParameters parameters, LocalRun run)
    {
        Func<Image, Image> treatment = parameters.Style switch
        {
            "anime" => Anime,
            "sketch" => Sketch,
            "vintage" => Vintage,
            "noir" => Noir,
            "watercolor" => Watercolor,
            "pop-art" => PopArt,
            _ => throw new ModelException($"unknown style '{parameters.Style}'", isInputError: true),
        };

        var image = LocalImages.Opaque(LocalImages.Decode(file, "image", run));
        return LocalImages.Output(LocalImages.Finish(treatment(image)), ImageFormat.Jpeg, run);
    }

    // Flat, bright, saturated colour with dark ink lines where edges are strong.
    private static Image Anime(Image rgb)
    {
        var smooth = rgb.Gaussblur(1.0);
        var vivid = Posterise(Saturate(smooth, chroma: 1.5, lightness: 6), levelMask: 0xE0);
        var edges = Grey(smooth).Sobel().Cast(Enums.BandFormat.Float).Linear(-0.6 / 255, 1);
        return vivid * edges;
    }

    // Pencil on white paper: inverted edge strength of the softened luminance.
    private static Image Sketch(Image rgb)
    {
        var pencil = Grey(rgb).Gaussblur(1.0).Sobel().Linear(-2.0, 255, uchar: true);
        return pencil.Bandjoin(pencil, pencil);
    }

    // Sepia tone (the classic sepia matrix warms and compresses colour), then faded blacks.
    private static Image Vintage(Image rgb)
    {
        using var matrix = Image.NewFromArray(new[,]
        {
            { 0.393, 0.769, 0.189 },
            { 0.349, 0.686, 0.168 },
            { 0.272, 0.534, 0.131 },
        });
        return rgb.Recomb(matrix).Linear(0.85, 22);
    }

    // Greyscale with hard contrast, pulled darker for a low-key look.
    private static Image Noir(Image rgb)
    {
        var contrast = Grey(rgb).Linear(1.4, -0.4 * 128 - 14, uchar: true);
        return contrast.Bandjoin(contrast, contrast);
    }

    // Soft washes of colour: blurred, less saturated, on warm paper.
    private static Image Watercolor(Image rgb) =>
        Saturate(rgb.Gaussblur(2.2), chroma: 0.8, lightness: 0).Linear([0.8, 0.8, 0.76], [48, 44, 36]);

    // Loud colour in few flat levels, brighter and punchier than the original.
    private static Image PopArt(Image rgb) =>
        Posterise(Saturate(rgb, chroma: 2.0, lightness: 10, contrast: 1.3), levelMask: 0xC0);

    private static Image Grey(Image rgb) => rgb.Colourspace(Enums.Interpretation.Bw);

    /// <summary>Scales chroma and shifts/stretches lightness in LCh, back to 8-bit sRGB.</summary>
    private static Image Saturate(Image rgb, double chroma, double lightness, double contrast = 1) =>
        rgb.Colourspace(Enums.Interpretation.Lch)
            .Linear([contrast, chroma, 1], [50 * (1 - contrast) + lightness, 0, 0])
            .Colourspace(Enums.Interpretation.Srgb).Cast(Enums.BandFormat.Uchar);

    /// <summary>Keeps the top bits of each 8-bit value and recentres within each level.</summary>
    private static Image Posterise(Image rgb, int levelMask) =>
        (rgb & levelMask).Linear(1, (256 - levelMask) / 2.0, uchar: true);
}
