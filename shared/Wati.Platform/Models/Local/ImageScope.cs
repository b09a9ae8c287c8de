using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Owns the intermediate images of one pipeline and releases them together, so a multi-step
/// treatment reads as a chain of steps without a <c>using</c> per step and nothing leaks on failure.
/// </summary>
internal sealed class ImageScope : IDisposable
{
    private readonly List<VipsImage> owned = [];

    public VipsImage Own(VipsImage image)
    {
        owned.Add(image);
        return image;
    }

    /// <summary>Decodes an input and brings it to 8-bit sRGB (keeping any alpha band).</summary>
    public VipsImage Decode(byte[] file)
    {
        var image = Own(VipsCodec.Decode(file));
        // 22 = VIPS_INTERPRETATION_sRGB; greyscale, CMYK and 16-bit inputs all become 8-bit sRGB here.
        if (image.Interpretation != 22 || image.Bands < 3) image = Own(image.Colourspace("srgb"));
        if (image.BandFormat != 0) image = Own(image.Cast("uchar"));
        return image;
    }

    /// <summary>Drops alpha by flattening onto white, for outputs that have no alpha (JPEG) or need none.</summary>
    public VipsImage Opaque(VipsImage image) =>
        image.HasAlpha ? Own(Own(image.Flatten([255, 255, 255])).Cast("uchar")) : image;

    /// <summary>Labels the final pixels as 8-bit sRGB so savers do not reinterpret them.</summary>
    public VipsImage Finish(VipsImage image)
    {
        var uchar = image.BandFormat == 0 ? image : Own(image.Cast("uchar"));
        return Own(VipsOps.Run("copy", ("in", uchar), ("interpretation", "srgb")));
    }

    public static ModelOutput Output(VipsImage image, ImageFormat format, int quality = 90)
    {
        var info = new ImageInfo(format, image.Width, image.Height);
        return new ModelOutput(VipsCodec.Encode(image, format, quality), info.ContentType, info.Extension,
            info.Width, info.Height);
    }

    public void Dispose()
    {
        for (var i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        owned.Clear();
    }
}
