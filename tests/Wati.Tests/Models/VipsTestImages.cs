using NetVips;
using Wati.Platform.Models;
using Wati.Platform.Uploads;

namespace Wati.Tests.Models;

/// <summary>All tests that drive libvips share this collection: run one at a time so timings and logs stay apart.</summary>
[CollectionDefinition(Name)]
public sealed class LibVipsCollection
{
    public const string Name = "libvips";
}

/// <summary>Test inputs drawn with NetVips, so no image files live in the repository.</summary>
internal static class VipsTestImages
{
    /// <summary>
    /// A photo-like RGB image: red ramps left to right, green top to bottom, blue is mid-level, and
    /// Gaussian noise adds texture so edge and blur treatments have something to work on.
    /// </summary>
    public static byte[] Photo(int width = 320, int height = 240, ImageFormat format = ImageFormat.Jpeg)
    {
        var xyz = Image.Xyz(width, height);
        var red = xyz.ExtractBand(0).Linear([190.0 / width], [40]);
        var green = xyz.ExtractBand(1).Linear([170.0 / height], [50]);
        var blue = Image.Black(width, height).Linear([0], [135]);
        var noise = Image.Gaussnoise(width, height, sigma: 14, mean: 0, seed: 42);
        return Encode(red.Bandjoin(green, blue) + noise, format);
    }

    /// <summary>Uniform mid-grey with light noise: any brightness difference in the output is the light.</summary>
    public static byte[] Grey(int width = 320, int height = 240)
    {
        var noise = Image.Gaussnoise(width, height, sigma: 6, mean: 128, seed: 3);
        return Encode(noise.Bandjoin(noise, noise), ImageFormat.Jpeg);
    }

    /// <summary>One flat colour, as 8-bit sRGB pixels (no profile attached).</summary>
    public static Image Flat(int width, int height, double[] colour) =>
        Image.Black(width, height, bands: colour.Length).Linear([.. colour.Select(_ => 0.0)], colour, uchar: true)
            .Copy(interpretation: Enums.Interpretation.Srgb);

    /// <summary>A flat colour with a block of another colour in the middle (block is half the size).</summary>
    public static byte[] Block(int width, int height, double[] backdrop, double[] block, double noiseSigma = 0)
    {
        var noise = Image.Gaussnoise(width, height, sigma: Math.Max(noiseSigma, 1e-6), mean: 0, seed: 9);
        var textured = Image.Black(width, height, bands: 3).Linear([0, 0, 0], backdrop) + noise;
        var composed = textured.Insert(Image.Black(width / 2, height / 2, bands: 3).Linear([0, 0, 0], block), width / 4, height / 4);
        return Encode(composed, ImageFormat.Png);
    }

    /// <summary>RGBA PNG: one colour, opaque only in the central half-size rectangle.</summary>
    public static byte[] WithAlpha(int width, int height, double[] colour)
    {
        var painted = Flat(width, height, colour);
        var alpha = Image.Black(width / 2, height / 2).Linear([0], [255], uchar: true)
            .Embed(width / 4, height / 4, width, height);
        return Encode(painted.Bandjoin(alpha), ImageFormat.Png);
    }

    /// <summary>Clips to 8 bits, labels as sRGB and writes the file without metadata.</summary>
    public static byte[] Encode(Image image, ImageFormat format, int quality = 90)
    {
        var srgb = image.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return format switch
        {
            ImageFormat.Jpeg => srgb.JpegsaveBuffer(q: quality, keep: Enums.ForeignKeep.None),
            ImageFormat.Png => srgb.PngsaveBuffer(keep: Enums.ForeignKeep.None),
            _ => srgb.WebpsaveBuffer(q: quality, keep: Enums.ForeignKeep.None),
        };
    }

    public static Image Decode(byte[] file) => Image.NewFromBuffer(file);

    public static double[] BandMeans(byte[] file)
    {
        var image = Decode(file);
        return Enumerable.Range(0, image.Bands).Select(b => image.ExtractBand(b).Avg()).ToArray();
    }

    /// <summary>Mean brightness (all bands) of a rectangle of a decoded file.</summary>
    public static double RegionMean(byte[] file, int left, int top, int width, int height) =>
        Decode(file).Crop(left, top, width, height).Avg();

    /// <summary>The RGB(A) value of one pixel of a decoded file, as stored (no colour management).</summary>
    public static byte[] Pixel(byte[] file, int x, int y) =>
        Decode(file).Getpoint(x, y).Select(v => (byte)Math.Round(v)).ToArray();

    public static ModelRequest Request(string model, ModelParameters parameters, params (string Field, byte[] File)[] images) =>
        new(model, images.ToDictionary(i => i.Field, i => i.File), parameters);

    public static void AssertColour(double[] expected, byte[] actual, double tolerance = 12)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"band {i}: expected {expected[i]}±{tolerance}, got {actual[i]} (pixel {string.Join(",", actual)})");
    }
}
