using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Stand-in for style transfer: a colour, tone or edge treatment per style, same size as the input.
/// Each deliberately shifts overall tone too, so the change is measurable, not just cosmetic.
/// </summary>
internal static class StyleModel
{
    public static ModelOutput Run(byte[] file, StyleParameters parameters)
    {
        Func<ImageScope, VipsImage, VipsImage> treatment = parameters.Style switch
        {
            "anime" => Anime,
            "sketch" => Sketch,
            "vintage" => Vintage,
            "noir" => Noir,
            "watercolor" => Watercolor,
            "pop-art" => PopArt,
            _ => throw new ModelException($"unknown style '{parameters.Style}'", isInputError: true),
        };

        using var scope = new ImageScope();
        var image = scope.Opaque(scope.Decode(file));
        return ImageScope.Output(scope.Finish(treatment(scope, image)), ImageFormat.Jpeg);
    }

    // Flat, bright, saturated colour with dark ink lines where edges are strong.
    private static VipsImage Anime(ImageScope s, VipsImage rgb)
    {
        var smooth = s.Own(rgb.GaussBlur(1.0));
        var vivid = Posterise(s, Saturate(s, smooth, chroma: 1.5, lightness: 6), levelMask: 0xE0);
        var edges = s.Own(s.Own(s.Own(Grey(s, smooth).Sobel()).Cast("float")).Linear(-0.6 / 255, 1));
        return s.Own(vivid.Multiply(edges));
    }

    // Pencil on white paper: inverted edge strength of the softened luminance.
    private static VipsImage Sketch(ImageScope s, VipsImage rgb)
    {
        var edges = s.Own(s.Own(Grey(s, rgb).GaussBlur(1.0)).Sobel());
        var pencil = s.Own(edges.Linear(-2.0, 255, uchar: true));
        return s.Own(VipsOps.BandJoin(pencil, pencil, pencil));
    }

    // Sepia tone (the classic sepia matrix warms and compresses colour), then faded blacks.
    private static VipsImage Vintage(ImageScope s, VipsImage rgb)
    {
        var sepia = s.Own(rgb.Recomb(3, 3, [
            0.393, 0.769, 0.189,
            0.349, 0.686, 0.168,
            0.272, 0.534, 0.131,
        ]));
        return s.Own(sepia.Linear(0.85, 22));
    }

    // Greyscale with hard contrast, pulled darker for a low-key look.
    private static VipsImage Noir(ImageScope s, VipsImage rgb)
    {
        var contrast = s.Own(Grey(s, rgb).Linear(1.4, -0.4 * 128 - 14, uchar: true));
        return s.Own(VipsOps.BandJoin(contrast, contrast, contrast));
    }

    // Soft washes of colour: blurred, less saturated, on warm paper.
    private static VipsImage Watercolor(ImageScope s, VipsImage rgb)
    {
        var washed = Saturate(s, s.Own(rgb.GaussBlur(2.2)), chroma: 0.8, lightness: 0);
        return s.Own(washed.Linear([0.8, 0.8, 0.76], [48, 44, 36]));
    }

    // Loud colour in few flat levels, brighter and punchier than the original.
    private static VipsImage PopArt(ImageScope s, VipsImage rgb) =>
        Posterise(s, Saturate(s, rgb, chroma: 2.0, lightness: 10, contrast: 1.3), levelMask: 0xC0);

    private static VipsImage Grey(ImageScope s, VipsImage rgb) => s.Own(rgb.Colourspace("b-w"));

    /// <summary>Scales chroma and shifts/stretches lightness in LCh, back to 8-bit sRGB.</summary>
    private static VipsImage Saturate(ImageScope s, VipsImage rgb, double chroma, double lightness, double contrast = 1)
    {
        var lch = s.Own(rgb.Colourspace("lch"));
        var adjusted = s.Own(lch.Linear([contrast, chroma, 1], [50 * (1 - contrast) + lightness, 0, 0]));
        return s.Own(s.Own(adjusted.Colourspace("srgb")).Cast("uchar"));
    }

    /// <summary>Keeps the top bits of each 8-bit value and recentres within each level.</summary>
    private static VipsImage Posterise(ImageScope s, VipsImage rgb, int levelMask)
    {
        var floored = s.Own(rgb.BooleanConst("and", [levelMask]));
        var halfStep = (256 - levelMask) / 2.0;
        return s.Own(floored.Linear(1, halfStep, uchar: true));
    }
}
