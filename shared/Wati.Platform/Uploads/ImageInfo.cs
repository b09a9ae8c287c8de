namespace Wati.Platform.Uploads;

public enum ImageFormat { Jpeg, Png, WebP }

/// <summary>
/// An image's format and size. From <see cref="ImageProbe"/> it is what the header says, read without
/// decoding pixels; on an accepted <see cref="Upload"/> the size is the image as viewers show it
/// (after EXIF orientation).
/// </summary>
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
