using Wati.Tests.Support;
using System.Buffers.Binary;
using System.Text;
using NetVips;
using Wati.Platform.Uploads;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Uploads;

/// <summary>
/// The inputs of issue 7, rebuilt in code: phone photos with EXIF orientation, colour-profiled files,
/// truncated and corrupt files, an animated WebP. Expected values come from the specs (EXIF, ICC
/// matrices), not from libvips.
/// </summary>
internal static class InputSamples
{
    public static readonly double[] Marker = [220, 20, 20];
    public static readonly double[] Field = [20, 40, 220];

    /// <summary>
    /// A JPEG stored <paramref name="width"/>x<paramref name="height"/>, blue with a red marker in its
    /// stored top-left quarter, tagged with EXIF <paramref name="orientation"/>.
    /// </summary>
    public static byte[] Oriented(int orientation, int width = 400, int height = 200, ImageFormat format = ImageFormat.Jpeg)
    {
        var image = Flat(width, height, Field).Insert(Flat(width / 4, height / 4, Marker), 0, 0)
            .Mutate(m => m.Set(GValue.GIntType, "orientation", orientation));
        return format == ImageFormat.Jpeg ? image.JpegsaveBuffer(q: 95) : image.PngsaveBuffer();
    }

    /// <summary>Where the stored top-left corner appears once shown upright (EXIF 2.32, tag 0x0112).</summary>
    public static (bool Right, bool Bottom) ShownCorner(int orientation) => orientation switch
    {
        1 or 5 => (false, false),
        2 or 6 => (true, false),
        3 or 7 => (true, true),
        _ => (false, true), // 4, 8
    };

    /// <summary>A pixel well inside the marker once shown upright, for an image shown <paramref name="w"/>x<paramref name="h"/>.</summary>
    public static (int X, int Y) MarkerPixel(int orientation, int w, int h)
    {
        var (right, bottom) = ShownCorner(orientation);
        return (right ? w - 1 - w / 16 : w / 16, bottom ? h - 1 - h / 16 : h / 16);
    }

    /// <summary>Adobe RGB (1998) as an ICC v2 matrix/TRC profile: D50-adapted colorants, gamma 563/256.</summary>
    public static byte[] AdobeRgbProfile() => MatrixTrcProfile("Adobe RGB (1998) test build",
        [0.60974, 0.31111, 0.01947], [0.20528, 0.62567, 0.06087], [0.14919, 0.06322, 0.74457], 563);

    /// <summary>
    /// What an Adobe RGB (1998) value shows as in sRGB: decode the gamma, Adobe RGB to XYZ (D65), XYZ to
    /// linear sRGB, sRGB transfer curve (IEC 61966-2-1).
    /// </summary>
    public static double[] AdobeToSrgb(double[] adobe)
    {
        var lin = adobe.Select(v => Math.Pow(v / 255, 563.0 / 256)).ToArray();
        double x = 0.5767309 * lin[0] + 0.1855540 * lin[1] + 0.1881852 * lin[2];
        double y = 0.2973769 * lin[0] + 0.6273491 * lin[1] + 0.0752741 * lin[2];
        double z = 0.0270343 * lin[0] + 0.0706872 * lin[1] + 0.9911085 * lin[2];
        double[] rgb =
        [
            3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
            -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
            0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
        ];
        Assert.All(rgb, v => Assert.InRange(v, 0, 1)); // the test colour must lie inside sRGB
        return rgb.Select(v => 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.Pow(v, 1 / 2.4) - 0.055)).ToArray();
    }

    /// <summary>The "flat green" in Adobe RGB, tagged with the profile.</summary>
    public static readonly double[] AdobeGreen = [120, 170, 110];

    public static byte[] Tagged(double[] colour, byte[] profile, int width = 64, int height = 48, ImageFormat format = ImageFormat.Jpeg)
    {
        var image = Flat(width, height, colour).Mutate(m => m.Set(GValue.BlobType, "icc-profile-data", profile));
        return format == ImageFormat.Jpeg ? image.JpegsaveBuffer(q: 98) : image.PngsaveBuffer();
    }

    /// <summary>sRGB <paramref name="colour"/> converted into another built-in libvips profile ("p3", "cmyk") and tagged with it.</summary>
    public static byte[] InProfile(double[] colour, string profile, int width = 64, int height = 48) =>
        Flat(width, height, colour).IccTransform(profile, inputProfile: "srgb").JpegsaveBuffer(q: 98);

    /// <summary>A noisy 800x600 photo, so a cut anywhere falls in the middle of entropy-coded data.</summary>
    public static byte[] Photo800(ImageFormat format) => Photo(800, 600, format);

    public static byte[] FirstPart(byte[] file, double fraction) => file[..(int)(file.Length * fraction)];

    /// <summary>A PNG whose IDAT payload is replaced by random bytes (chunk CRCs fixed, so only the data is wrong).</summary>
    public static byte[] RandomIdat(int width = 64, int height = 48)
    {
        var png = Photo(width, height, ImageFormat.Png);
        var random = new Random(7);
        for (var pos = 8; pos + 12 <= png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            var type = Encoding.ASCII.GetString(png, pos + 4, 4);
            if (type == "IDAT")
            {
                random.NextBytes(png.AsSpan(pos + 8, length));
                BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + length), TinyImages.Crc32(png.AsSpan(pos + 4, 4 + length)));
            }
            pos += 12 + length;
        }
        return png;
    }

    /// <summary>23 bytes: SOI, a complete baseline frame header for 16x16 YCbCr, EOI. No scan data at all.</summary>
    public static byte[] HeaderOnlyJpeg() =>
        [0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 16, 0, 16, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9];

    /// <summary>
    /// A lossy WebP cut after 60% of its bytes. (Random bytes inside a VP8 bitstream often decode to
    /// noise without any error, so a cut is the corruption libwebp reliably reports.)
    /// </summary>
    public static byte[] CorruptWebP() => FirstPart(Photo(64, 48, ImageFormat.WebP), 0.6);

    /// <summary>An animated WebP 30x20: a red frame, then a blue one.</summary>
    public static byte[] AnimatedWebP()
    {
        var strip = Image.Arrayjoin([Flat(30, 20, [255, 0, 0]), Flat(30, 20, [0, 0, 255])], across: 1)
            .Mutate(m =>
            {
                m.Set(GValue.GIntType, "page-height", 20);
                m.Set(GValue.ArrayIntType, "delay", new[] { 100, 100 });
            });
        return strip.WebpsaveBuffer(lossless: true);
    }

    private static byte[] MatrixTrcProfile(string description, double[] red, double[] green, double[] blue, ushort gammaU8F8)
    {
        static byte[] Xyz(double[] v)
        {
            var b = new byte[20];
            "XYZ "u8.CopyTo(b);
            for (var i = 0; i < 3; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8 + 4 * i), (int)Math.Round(v[i] * 65536));
            return b;
        }

        var curve = new byte[14];
        "curv"u8.CopyTo(curve);
        BinaryPrimitives.WriteUInt32BigEndian(curve.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16BigEndian(curve.AsSpan(12), gammaU8F8);

        // textDescriptionType (ICC v2): ASCII part, then empty Unicode and ScriptCode parts.
        var ascii = Encoding.ASCII.GetBytes(description + "\0");
        var desc = new byte[12 + ascii.Length + 8 + 3 + 67];
        "desc"u8.CopyTo(desc);
        BinaryPrimitives.WriteUInt32BigEndian(desc.AsSpan(8), (uint)ascii.Length);
        ascii.CopyTo(desc, 12);
        var text = new byte[8 + 11];
        "text"u8.CopyTo(text);
        "no rights\0"u8.CopyTo(text.AsSpan(8));

        double[] d50 = [0.9642, 1.0, 0.8249];
        (string Sig, byte[] Data)[] tags =
        [
            ("desc", desc), ("cprt", text), ("wtpt", Xyz(d50)),
            ("rXYZ", Xyz(red)), ("gXYZ", Xyz(green)), ("bXYZ", Xyz(blue)),
            ("rTRC", curve), ("gTRC", curve), ("bTRC", curve),
        ];

        var body = new MemoryStream();
        var table = new List<(string, int, int)>();
        var dataStart = 128 + 4 + 12 * tags.Length;
        foreach (var (sig, data) in tags)
        {
            while ((dataStart + body.Length) % 4 != 0) body.WriteByte(0);
            table.Add((sig, (int)(dataStart + body.Length), data.Length));
            body.Write(data);
        }

        var profile = new byte[dataStart + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(profile, (uint)profile.Length);
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(8), 0x02100000); // version 2.1
        "mntr"u8.CopyTo(profile.AsSpan(12));
        "RGB "u8.CopyTo(profile.AsSpan(16));
        "XYZ "u8.CopyTo(profile.AsSpan(20));
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(24), 2026);
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(28), 1);
        "acsp"u8.CopyTo(profile.AsSpan(36));
        Xyz(d50).AsSpan(8).CopyTo(profile.AsSpan(68)); // PCS illuminant
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(128), (uint)tags.Length);
        for (var i = 0; i < table.Count; i++)
        {
            var (sig, offset, size) = table[i];
            Encoding.ASCII.GetBytes(sig).CopyTo(profile, 132 + 12 * i);
            BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(136 + 12 * i), (uint)offset);
            BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(140 + 12 * i), (uint)size);
        }
        body.ToArray().CopyTo(profile, dataStart);
        return profile;
    }
}
