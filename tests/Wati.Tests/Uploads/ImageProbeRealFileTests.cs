using System.Buffers.Binary;
using NetVips;
using Wati.Platform.Uploads;
using Wati.Tests.Models;

namespace Wati.Tests.Uploads;

/// <summary>Files written by libvips itself, so the probe is checked against a real encoder, not just our reading of the specs.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class ImageProbeRealFileTests
{
    [Theory]
    [InlineData(ImageFormat.Jpeg, 320, 240)]
    [InlineData(ImageFormat.Png, 320, 240)]
    [InlineData(ImageFormat.WebP, 320, 240)]
    [InlineData(ImageFormat.Jpeg, 1, 1)]
    [InlineData(ImageFormat.Png, 4099, 3)]
    [InlineData(ImageFormat.WebP, 7, 1001)]
    public void Probe_matches_what_libvips_wrote(ImageFormat format, int width, int height)
    {
        var file = VipsTestImages.Photo(width, height, format);
        Assert.Equal(new ImageInfo(format, width, height), ImageProbe.TryProbe(file));
    }

    [Fact]
    public void Progressive_jpeg_with_metadata_probes()
    {
        var noise = Image.Gaussnoise(123, 45, sigma: 20, mean: 128).Cast(Enums.BandFormat.Uchar);
        var file = noise.JpegsaveBuffer(interlace: true);
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 123, 45), ImageProbe.TryProbe(file));
    }

    [Theory]
    [InlineData("VP8 ", false)]
    [InlineData("VP8L", true)]
    public void Simple_webp_files_probe(string chunk, bool lossless)
    {
        // libvips writes the extended (VP8X) layout; the simple layout is RIFF plus the single image
        // chunk, which we cut out of libvips' file. libvips decoding the result proves it is valid.
        var noise = Image.Gaussnoise(321, 123, sigma: 20, mean: 128);
        var rgb = noise.Bandjoin(noise, noise).Cast(Enums.BandFormat.Uchar);
        var simple = Simplify(rgb.WebpsaveBuffer(lossless: lossless), chunk);

        Assert.Equal(chunk, System.Text.Encoding.ASCII.GetString(simple, 12, 4));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 321, 123), ImageProbe.TryProbe(simple));
        var decoded = Image.NewFromBuffer(simple, failOn: Enums.FailOn.Error);
        Assert.Equal((321, 123, 128.0), (decoded.Width, decoded.Height, Math.Round(decoded.Avg() / 16) * 16));
    }

    [Fact]
    public void Extended_webp_with_alpha_probes()
    {
        var file = VipsTestImages.WithAlpha(99, 77, [10, 20, 30]);
        var webp = InputImages.Encode(Image.NewFromBuffer(file), ImageFormat.WebP);
        Assert.Equal("VP8X", System.Text.Encoding.ASCII.GetString(webp, 12, 4));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 99, 77), ImageProbe.TryProbe(webp));
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.WebP)]
    public void Real_files_cut_before_their_size_is_known_are_rejected(ImageFormat format)
    {
        var file = VipsTestImages.Photo(64, 64, format);
        Assert.Null(ImageProbe.TryProbe(file.AsSpan(0, 20)));
    }

    /// <summary>Returns RIFF/WEBP holding only the named chunk from an extended WebP file.</summary>
    private static byte[] Simplify(byte[] file, string wanted)
    {
        for (var pos = 12; pos + 8 <= file.Length;)
        {
            var fourcc = System.Text.Encoding.ASCII.GetString(file, pos, 4);
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 4));
            var padded = size + (size & 1);
            if (fourcc == wanted)
            {
                var chunk = file.AsSpan(pos, 8 + padded);
                var result = new byte[12 + chunk.Length];
                "RIFF"u8.CopyTo(result);
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)(result.Length - 8));
                "WEBP"u8.CopyTo(result.AsSpan(8));
                chunk.CopyTo(result.AsSpan(12));
                return result;
            }
            pos += 8 + padded;
        }
        throw new InvalidOperationException($"no {wanted} chunk in libvips' output");
    }
}
