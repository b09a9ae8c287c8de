using NetVips;
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

    public static ModelOutput Run(byte[] fgFile, byte[] bgFile, LocalRun run)
    {
        var bg = LocalImages.Decode(bgFile, "bg", run);
        var fg = LocalImages.Decode(fgFile, "fg", run);
        if (!fg.HasAlpha()) fg = fg.Bandjoin(KeyMask(fg));

        // Resize with premultiplied alpha, or transparent pixels bleed their colour into the edges.
        var scale = Math.Min((double)bg.Width / fg.Width, (double)bg.Height / fg.Height);
        var fitted = fg;
        if (Math.Abs(scale - 1) > 1e-9)
            fitted = fg.Premultiply().Resize(scale, kernel: Enums.Kernel.Lanczos3).Unpremultiply().Cast(Enums.BandFormat.Uchar);

        var x = (bg.Width - fitted.Width) / 2;
        var y = (bg.Height - fitted.Height) / 2;
        var composed = bg.Composite2(fitted, Enums.BlendMode.Over, x: x, y: y);
        // An opaque background stays opaque, so its result needs no alpha band.
        var result = bg.HasAlpha() ? composed : composed.ExtractBand(0, n: 3);
        return LocalImages.Output(LocalImages.Finish(result), ImageFormat.Png, run);
    }

    /// <summary>Alpha from each pixel's distance to the median colour of the image border.</summary>
    private static Image KeyMask(Image rgb)
    {
        var key = BorderMedian(rgb);
        var difference = rgb.Linear([1, 1, 1], [-key[0], -key[1], -key[2]]);
        var distance = (difference * difference).Bandmean().Linear(3, 0).Pow(0.5);
        var alpha = distance.Linear(255 / (Solid - Clear), -Clear * 255 / (Solid - Clear), uchar: true);
        return alpha.Gaussblur(0.8).Cast(Enums.BandFormat.Uchar);
    }

    private static double[] BorderMedian(Image rgb)
    {
        int w = rgb.Width, h = rgb.Height;
        // The four one-pixel edges; corners counted twice does not matter for a median.
        Image[] edges = [rgb.Crop(0, 0, w, 1), rgb.Crop(0, h - 1, w, 1), rgb.Crop(0, 0, 1, h), rgb.Crop(w - 1, 0, 1, h)];
        var bands = new List<byte>[3];
        for (var b = 0; b < 3; b++) bands[b] = [];
        foreach (var edge in edges)
        {
            var pixels = edge.ExtractBand(0, n: 3).WriteToMemory<byte>();
            for (var i = 0; i < pixels.Length; i++) bands[i % 3].Add(pixels[i]);
        }
        return bands.Select(values =>
        {
            values.Sort();
            return (double)values[values.Count / 2];
        }).ToArray();
    }
}
