using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;

namespace Wati.Tests.Models;

/// <summary>All tests that drive libvips share this collection: run one at a time so object counts are exact.</summary>
[CollectionDefinition(Name)]
public sealed class LibVipsCollection
{
    public const string Name = "libvips";
}

/// <summary>Test inputs drawn with our own binding, so no image files live in the repository.</summary>
internal static class VipsTestImages
{
    /// <summary>
    /// A photo-like RGB image: red ramps left to right, green top to bottom, blue is mid-level, and
    /// Gaussian noise adds texture so edge and blur treatments have something to work on.
    /// </summary>
    public static byte[] Photo(int width = 320, int height = 240, ImageFormat format = ImageFormat.Jpeg)
    {
        using var xyz = VipsOps.Xyz(width, height);
        using var x = xyz.ExtractBand(0);
        using var y = xyz.ExtractBand(1);
        using var red = x.Linear(190.0 / width, 40);
        using var green = y.Linear(170.0 / height, 50);
        using var black = VipsOps.Black(width, height);
        using var blue = black.Linear(0, 135);
        using var rgb = VipsOps.BandJoin(red, green, blue);
        using var noise = VipsOps.GaussNoise(width, height, sigma: 14, mean: 0, seed: 42);
        using var noisy = rgb.Add(noise);
        return Encode(noisy, format);
    }

    /// <summary>Uniform mid-grey with light noise: any brightness difference in the output is the light.</summary>
    public static byte[] Grey(int width = 320, int height = 240)
    {
        using var noise = VipsOps.GaussNoise(width, height, sigma: 6, mean: 128, seed: 3);
        using var rgb = VipsOps.BandJoin(noise, noise, noise);
        return Encode(rgb, ImageFormat.Jpeg);
    }

    /// <summary>A flat colour with a block of another colour in the middle (block is half the size).</summary>
    public static byte[] Block(int width, int height, double[] backdrop, double[] block, double noiseSigma = 0)
    {
        using var canvas = VipsOps.Black(width, height, 3);
        using var painted = canvas.Linear([0, 0, 0], backdrop);
        using var small = VipsOps.Black(width / 2, height / 2, 3);
        using var blockPainted = small.Linear([0, 0, 0], block);
        using var noise = VipsOps.GaussNoise(width, height, sigma: Math.Max(noiseSigma, 1e-6), mean: 0, seed: 9);
        using var textured = painted.Add(noise);
        using var composed = VipsOps.Run("insert", ("main", textured), ("sub", blockPainted),
            ("x", width / 4), ("y", height / 4));
        return Encode(composed, ImageFormat.Png);
    }

    /// <summary>RGBA PNG: one colour, opaque only in the central half-size rectangle.</summary>
    public static byte[] WithAlpha(int width, int height, double[] colour)
    {
        using var canvas = VipsOps.Black(width, height, 3);
        using var painted = canvas.Linear([0, 0, 0], colour, uchar: true);
        using var hole = VipsOps.Black(width / 2, height / 2);
        using var opaque = hole.Linear(0, 255, uchar: true);
        using var alpha = VipsOps.Run("embed", ("in", opaque), ("x", width / 4), ("y", height / 4),
            ("width", width), ("height", height));
        using var rgba = VipsOps.BandJoin(painted, alpha);
        return Encode(rgba, ImageFormat.Png);
    }

    public static byte[] Encode(VipsImage image, ImageFormat format)
    {
        using var uchar = image.Cast("uchar");
        using var srgb = VipsOps.Run("copy", ("in", uchar), ("interpretation", "srgb"));
        return VipsCodec.Encode(srgb, format);
    }

    public static VipsImage Decode(byte[] file) => VipsCodec.Decode(file);

    public static double[] BandMeans(byte[] file)
    {
        using var image = Decode(file);
        return image.BandMeans();
    }

    /// <summary>Mean brightness (all bands) of a rectangle of a decoded file.</summary>
    public static double RegionMean(byte[] file, int left, int top, int width, int height)
    {
        using var image = Decode(file);
        using var area = image.ExtractArea(left, top, width, height);
        return area.Avg();
    }

    /// <summary>The RGB(A) value of one pixel of a decoded file.</summary>
    public static byte[] Pixel(byte[] file, int x, int y)
    {
        using var image = Decode(file);
        using var one = image.ExtractArea(x, y, 1, 1);
        return one.ToBytes();
    }

    public static ModelRequest Request(string model, ModelParameters parameters, params (string Field, byte[] File)[] images) =>
        new(model, images.ToDictionary(i => i.Field, i => i.File), parameters);
}
