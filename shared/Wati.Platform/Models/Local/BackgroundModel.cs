using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Stand-in for background replacement: the foreground is scaled to fit inside the background,
/// centred and composited over it. Its own alpha is used when present; otherwise the colour of its
/// border is taken as the backdrop and keyed out (a chroma-key, as with a studio or plain-wall photo).
/// </summary>
internal static class BackgroundModel
{
    // RGB distances from the border colour: below Clear fully transparent, above Solid fully opaque,
    // a linear ramp in between so edges stay soft.
    private const double Clear = 28, Solid = 64;

    public static ModelOutput Run(byte[] fgFile, byte[] bgFile)
    {
        using var s = new ImageScope();
        var bg = s.Decode(bgFile);
        var fg = s.Decode(fgFile);
        if (!fg.HasAlpha) fg = s.Own(VipsOps.BandJoin(fg, KeyMask(s, fg)));

        // Resize with premultiplied alpha, or transparent pixels bleed their colour into the edges.
        var scale = Math.Min((double)bg.Width / fg.Width, (double)bg.Height / fg.Height);
        var fitted = fg;
        if (Math.Abs(scale - 1) > 1e-9)
        {
            var premultiplied = s.Own(fg.Premultiply());
            var resized = s.Own(premultiplied.Resize(scale, scale));
            fitted = s.Own(s.Own(resized.Unpremultiply()).Cast("uchar"));
        }

        var x = (bg.Width - fitted.Width) / 2;
        var y = (bg.Height - fitted.Height) / 2;
        var composed = s.Own(bg.Composite2(fitted, x, y));
        // An opaque background stays opaque, so its result needs no alpha band.
        var result = bg.HasAlpha ? composed : s.Own(composed.ExtractBand(0, 3));
        return ImageScope.Output(s.Finish(result), ImageFormat.Png);
    }

    /// <summary>Alpha from each pixel's distance to the median colour of the image border.</summary>
    private static VipsImage KeyMask(ImageScope s, VipsImage rgb)
    {
        var key = BorderMedian(s, rgb);
        var difference = s.Own(rgb.Linear([1, 1, 1], [-key[0], -key[1], -key[2]]));
        var squared = s.Own(difference.Multiply(difference));
        var summed = s.Own(squared.Recomb(3, 1, [1, 1, 1]));
        var distance = s.Own(summed.Math2Const("pow", [0.5]));
        var alpha = s.Own(distance.Linear(255 / (Solid - Clear), -Clear * 255 / (Solid - Clear), uchar: true));
        return s.Own(s.Own(alpha.GaussBlur(0.8)).Cast("uchar"));
    }

    private static double[] BorderMedian(ImageScope s, VipsImage rgb)
    {
        int w = rgb.Width, h = rgb.Height;
        // The four one-pixel edges; corners counted twice does not matter for a median.
        VipsImage[] edges =
        [
            s.Own(rgb.ExtractArea(0, 0, w, 1)), s.Own(rgb.ExtractArea(0, h - 1, w, 1)),
            s.Own(rgb.ExtractArea(0, 0, 1, h)), s.Own(rgb.ExtractArea(w - 1, 0, 1, h)),
        ];
        var bands = new List<byte>[3];
        for (var b = 0; b < 3; b++) bands[b] = [];
        foreach (var edge in edges)
        {
            var pixels = edge.ToBytes();
            for (var i = 0; i < pixels.Length; i++) bands[i % 3].Add(pixels[i]);
        }
        return bands.Select(values =>
        {
            values.Sort();
            return (double)values[values.Count / 2];
        }).ToArray();
    }
}
