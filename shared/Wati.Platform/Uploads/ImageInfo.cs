namespace Wati.Platform.Uploads;

public enum ImageFormat { Jpeg, Png, WebP }

/// <summary>What an image's header says, read without decoding pixels.</summary>
public sealed record ImageInfo(ImageFormat Format, int Width, int Height)
{
    public long Pixels => (long)Width * Height;

    public string ContentType => Format switch
    {
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Png => "image/png",
        _ => "image/webp",
    };

    public string Extension => Format switch
    {
        ImageFormat.Jpeg => "jpg",
        ImageFormat.Png => "png",
        _ => "webp",
    };
}
