using System.Buffers.Binary;
using Wati.Platform.Uploads;

namespace Wati.Tests.Uploads;

/// <summary>Hand-built headers: each format's size fields and each way a header can be wrong.</summary>
public sealed class ImageProbeTests
{
    // --- JPEG ---------------------------------------------------------------------------------------

    internal static byte[] Segment(byte marker, params byte[] payload) =>
        [0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];

    internal static byte[] Sof(byte marker, int width, int height) =>
        Segment(marker, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width,
            3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1);

    private static readonly byte[] Soi = [0xFF, 0xD8];
    private static readonly byte[] App0 = Segment(0xE0, "JFIF\0"u8.ToArray().Concat(new byte[] { 1, 1, 0, 0, 1, 0, 1, 0, 0 }).ToArray());

    [Theory]
    [InlineData(0xC0)] // baseline
    [InlineData(0xC1)]
    [InlineData(0xC2)] // progressive
    [InlineData(0xC3)]
    [InlineData(0xC5)]
    [InlineData(0xC7)]
    [InlineData(0xC9)]
    [InlineData(0xCB)]
    [InlineData(0xCD)]
    [InlineData(0xCF)]
    public void Jpeg_size_comes_from_any_start_of_frame(byte marker)
    {
        byte[] file = [.. Soi, .. App0, .. Sof(marker, 320, 240), 0xFF, 0xD9];
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 320, 240), ImageProbe.TryProbe(file));
    }

    [Fact]
    public void Jpeg_skips_tables_that_live_in_the_frame_marker_range()
    {
        // DHT (C4), JPG (C8) and DAC (CC) have lengths like frames but are not frames: their bytes
        // would read as a bogus size.
        byte[] file = [.. Soi, .. Segment(0xC4, 0, 9, 9, 9, 9), .. Segment(0xC8, 7, 7, 7, 7, 7, 7),
            .. Segment(0xCC, 1, 2), .. Sof(0xC0, 640, 480)];
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 640, 480), ImageProbe.TryProbe(file));
    }

    [Fact]
    public void Jpeg_allows_fill_bytes_and_standalone_markers()
    {
        byte[] file = [.. Soi, 0xFF, 0xFF, 0xFF, .. App0, 0xFF, 0x01, 0xFF, 0xD0, 0xFF, 0xFF, 0xD7,
            .. Segment(0xFE, "comment"u8.ToArray()), 0xFF, .. Sof(0xC2, 17, 9)];
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 17, 9), ImageProbe.TryProbe(file));
    }

    [Fact]
    public void Jpeg_claiming_a_huge_size_probes_fine()
    {
        byte[] file = [.. Soi, .. Sof(0xC0, 60000, 60000)];
        var info = ImageProbe.TryProbe(file);
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 60000, 60000), info);
        Assert.Equal(3_600_000_000L, info!.Pixels);
    }

    public static TheoryData<string, byte[]> BadJpegs() => new()
    {
        { "zero height (DNL)", [.. Soi, .. Sof(0xC0, 320, 0)] },
        { "zero width", [.. Soi, .. Sof(0xC0, 0, 240)] },
        { "end of image before frame", [.. Soi, .. App0, 0xFF, 0xD9, .. Sof(0xC0, 1, 1)] },
        { "scan before frame", [.. Soi, .. Segment(0xDA, 1, 2, 3), .. Sof(0xC0, 1, 1)] },
        { "lost sync after a segment", [.. Soi, .. App0, 0x12, .. Sof(0xC0, 1, 1)] },
        { "stuffed zero as marker", [.. Soi, 0xFF, 0x00, .. Sof(0xC0, 1, 1)] },
        { "segment length below 2", [.. Soi, 0xFF, 0xE1, 0x00, 0x01, .. Sof(0xC0, 1, 1)] },
        { "frame too short for a size", [.. Soi, .. Segment(0xC0, 8, 0, 10, 0)] },
        { "segment running past the end", [.. Soi, 0xFF, 0xE1, 0x40, 0x00, 1, 2, 3] },
        { "only fill bytes", [.. Soi, 0xFF, 0xFF, 0xFF] },
        { "SOI alone", [.. Soi] },
    };

    [Theory]
    [MemberData(nameof(BadJpegs))]
    public void Jpeg_without_a_readable_frame_is_rejected(string why, byte[] file) =>
        Assert.True(ImageProbe.TryProbe(file) is null, why);

    // --- PNG ----------------------------------------------------------------------------------------

    internal static byte[] Png(uint width, uint height, uint ihdrLength = 13, string type = "IHDR")
    {
        var file = new byte[33];
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        signature.CopyTo(file);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(8), ihdrLength);
        System.Text.Encoding.ASCII.GetBytes(type, file.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(20), height);
        file[24] = 8; // bit depth; colour type, compression, filter, interlace and CRC left zero
        return file;
    }

    [Theory]
    [InlineData(1u, 1u)]
    [InlineData(320u, 240u)]
    [InlineData(60000u, 60000u)]
    [InlineData(int.MaxValue, 1u)]
    public void Png_size_comes_from_ihdr(uint width, uint height) =>
        Assert.Equal(new ImageInfo(ImageFormat.Png, (int)width, (int)height), ImageProbe.TryProbe(Png(width, height)));

    [Fact]
    public void Png_rejects_bad_headers()
    {
        Assert.Null(ImageProbe.TryProbe(Png(0, 10)));
        Assert.Null(ImageProbe.TryProbe(Png(10, 0)));
        Assert.Null(ImageProbe.TryProbe(Png(0x8000_0000, 10)));
        Assert.Null(ImageProbe.TryProbe(Png(10, 10, ihdrLength: 12)));
        Assert.Null(ImageProbe.TryProbe(Png(10, 10, type: "IDAT")));
        var badSignature = Png(10, 10);
        badSignature[4] = 0x0A; // a line-ending conversion mangles exactly these bytes
        Assert.Null(ImageProbe.TryProbe(badSignature));
    }

    // --- WebP ---------------------------------------------------------------------------------------

    internal static byte[] WebP(string chunk, params byte[] payload)
    {
        var file = new byte[20 + payload.Length];
        "RIFF"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        "WEBP"u8.CopyTo(file.AsSpan(8));
        System.Text.Encoding.ASCII.GetBytes(chunk, file.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), (uint)payload.Length);
        payload.CopyTo(file, 20);
        return file;
    }

    internal static byte[] Vp8(int width, int height, byte frameTag = 0x10, byte startCode = 0x9D) =>
        WebP("VP8 ", frameTag, 0x02, 0x00, startCode, 0x01, 0x2A,
            (byte)width, (byte)(width >> 8), (byte)height, (byte)(height >> 8));

    internal static byte[] Vp8L(int width, int height, uint version = 0, byte signature = 0x2F)
    {
        var bits = (uint)(width - 1) | (uint)(height - 1) << 14 | 1u << 28 | version << 29;
        return WebP("VP8L", signature, (byte)bits, (byte)(bits >> 8), (byte)(bits >> 16), (byte)(bits >> 24));
    }

    internal static byte[] Vp8X(int width, int height) =>
        WebP("VP8X", 0x10, 0, 0, 0, (byte)(width - 1), (byte)((width - 1) >> 8), (byte)((width - 1) >> 16),
            (byte)(height - 1), (byte)((height - 1) >> 8), (byte)((height - 1) >> 16));

    [Fact]
    public void WebP_lossy_reads_14_bit_sizes_and_ignores_the_scale_bits()
    {
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 320, 240), ImageProbe.TryProbe(Vp8(320, 240)));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 16383, 16383), ImageProbe.TryProbe(Vp8(16383, 16383)));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 320, 240), ImageProbe.TryProbe(Vp8(0xC000 | 320, 0x4000 | 240)));
    }

    [Fact]
    public void WebP_lossless_reads_packed_sizes()
    {
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 1, 1), ImageProbe.TryProbe(Vp8L(1, 1)));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 321, 16384), ImageProbe.TryProbe(Vp8L(321, 16384)));
    }

    [Fact]
    public void WebP_extended_reads_the_24_bit_canvas()
    {
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 60000, 60000), ImageProbe.TryProbe(Vp8X(60000, 60000)));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 1 << 24, 1), ImageProbe.TryProbe(Vp8X(1 << 24, 1)));
    }

    public static TheoryData<string, byte[]> BadWebPs() => new()
    {
        { "lossy zero width", Vp8(0, 240) },
        { "lossy scale bits only", Vp8(0xC000, 240) },
        { "lossy inter frame", Vp8(320, 240, frameTag: 0x11) },
        { "lossy bad start code", Vp8(320, 240, startCode: 0x9C) },
        { "lossless bad signature", Vp8L(10, 10, signature: 0x2E) },
        { "lossless unknown version", Vp8L(10, 10, version: 1) },
        { "unknown chunk", WebP("VP9 ", new byte[12]) },
        { "not WEBP form", [.. "RIFF"u8, 0, 0, 0, 0, .. "WAVE"u8, .. Vp8(1, 1)[12..]] },
    };

    [Theory]
    [MemberData(nameof(BadWebPs))]
    public void WebP_with_a_bad_header_is_rejected(string why, byte[] file) =>
        Assert.True(ImageProbe.TryProbe(file) is null, why);

    // --- everything ---------------------------------------------------------------------------------

    public static TheoryData<string, byte[]> ValidHeaders() => new()
    {
        { "jpeg", [.. Soi, .. App0, .. Sof(0xC0, 320, 240)] },
        { "png", Png(320, 240) },
        { "vp8", Vp8(320, 240) },
        { "vp8l", Vp8L(320, 240) },
        { "vp8x", Vp8X(320, 240) },
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void Every_truncation_of_a_header_is_rejected(string format, byte[] file)
    {
        Assert.NotNull(ImageProbe.TryProbe(file));
        for (var length = 0; length < file.Length; length++)
            Assert.True(ImageProbe.TryProbe(file.AsSpan(0, length)) is null, $"{format} cut to {length} bytes");
    }

    [Theory]
    [InlineData("")]
    [InlineData("GIF89a\u0001\u0000\u0001\u0000")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("BM")]
    public void Other_content_is_not_an_image(string content) =>
        Assert.Null(ImageProbe.TryProbe(System.Text.Encoding.Latin1.GetBytes(content)));

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        var buffer = new byte[64];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            // Start some with real signatures so the format parsers, not just the sniffing, get fuzzed.
            switch (i % 4)
            {
                case 1: buffer[0] = 0xFF; buffer[1] = 0xD8; buffer[2] = 0xFF; break;
                case 2: Png(1, 1).AsSpan(0, 16).CopyTo(buffer); break;
                case 3: Vp8(1, 1).AsSpan(0, 12 + i % 8).CopyTo(buffer); break;
            }
            var info = ImageProbe.TryProbe(buffer.AsSpan(0, random.Next(buffer.Length + 1)));
            Assert.True(info is null || (info.Width > 0 && info.Height > 0));
        }
    }
}
