using System.Runtime.InteropServices;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>Decoding from and encoding to in-memory files, limited to the formats the API accepts.</summary>
internal static unsafe class VipsCodec
{
    // libvips sniffs many formats (SVG, PDF, TIFF... whatever its build has); anything beyond the
    // three we accept widens the attack surface for no benefit, so other loaders are refused.
    private static readonly HashSet<string> AllowedLoaders = new(StringComparer.Ordinal)
    {
        "VipsForeignLoadJpegBuffer", "VipsForeignLoadPngBuffer", "VipsForeignLoadSpngBuffer",
        "VipsForeignLoadWebpBuffer", "jpegload_buffer", "pngload_buffer", "webpload_buffer",
    };

    /// <summary>
    /// Decodes a JPEG, PNG or WebP file fully into memory, so a corrupt body fails here (where it is
    /// clearly the input's fault) rather than halfway through a pipeline.
    /// </summary>
    /// <exception cref="VipsInputException">Not a decodable JPEG, PNG or WebP.</exception>
    public static VipsImage Decode(byte[] file)
    {
        Vips.EnsureAvailable();
        string? loader;
        fixed (byte* p = file)
        {
            loader = Marshal.PtrToStringUTF8((nint)VipsApi.vips_foreign_find_load_buffer(p, (nuint)file.Length));
        }
        if (loader is null)
        {
            Vips.TakeError();
            throw new VipsInputException("not a recognised image");
        }
        if (!AllowedLoaders.Contains(loader)) throw new VipsInputException("only JPEG, PNG and WebP are accepted");

        try
        {
            using var op = new VipsOperation(loader).Set("buffer", file).Build();
            using var lazy = op.GetImage();
            return lazy.CopyMemory();
        }
        catch (VipsException e) when (e is not VipsUnavailableException)
        {
            throw new VipsInputException($"cannot decode image: {e.Message}");
        }
    }

    /// <summary>Encodes as JPEG, PNG or WebP; metadata is stripped (it may carry the user's GPS position).</summary>
    public static byte[] Encode(VipsImage image, ImageFormat format, int quality = 90)
    {
        var suffix = format switch
        {
            ImageFormat.Jpeg => ".jpg",
            ImageFormat.Png => ".png",
            _ => ".webp",
        };
        string saver;
        fixed (byte* s = System.Text.Encoding.ASCII.GetBytes(suffix + "\0"))
        {
            saver = Marshal.PtrToStringUTF8((nint)VipsApi.vips_foreign_find_save_buffer(s))
                ?? throw new VipsException($"no {suffix} saver: {Vips.TakeError()}");
        }

        using var op = new VipsOperation(saver).Set("in", image).Set("strip", true);
        if (format != ImageFormat.Png) op.Set("Q", quality);
        return op.Build().GetBlob("buffer");
    }
}

/// <summary>The input file is not something we can decode: the caller's fault, not ours.</summary>
internal sealed class VipsInputException(string message) : VipsException(message);
