using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;

namespace Wati.Tests.Models;

[Collection(LibVipsCollection.Name)]
public sealed class VipsBindingTests
{
    [Fact]
    public void Double_and_array_arguments_reach_libvips_intact()
    {
        using var black = VipsOps.Black(8, 4, 3);
        using var painted = black.Linear([0, 0, 0], [10.25, 100.5, 200.75]);
        Assert.Equal([10.25, 100.5, 200.75], painted.BandMeans());

        using var scaled = painted.Linear(0.5, 1.5);
        Assert.Equal((10.25 + 100.5 + 200.75) / 3 * 0.5 + 1.5, scaled.Avg(), 9);
    }

    [Fact]
    public void Enum_arguments_take_nicknames_and_geometry_is_exact()
    {
        using var black = VipsOps.Black(101, 57, 3);
        using var resized = black.Resize(2.5, 2.5, "lanczos3");
        Assert.Equal((253, 143, 3), (resized.Width, resized.Height, resized.Bands));

        var e = Assert.Throws<ArgumentException>(() => black.Resize(2, 2, "bogus"));
        Assert.Contains("bogus", e.Message);
    }

    [Fact]
    public void Raw_pixels_come_back_interleaved()
    {
        using var black = VipsOps.Black(3, 2, 3);
        using var painted = black.Linear([0, 0, 0], [1, 2, 3], uchar: true);
        Assert.Equal([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], painted.ToBytes());
    }

    [Fact]
    public void Failures_carry_the_libvips_message_and_leave_the_error_buffer_clean()
    {
        using var black = VipsOps.Black(10, 10);
        var e = Assert.Throws<VipsException>(() => black.ExtractArea(5, 5, 50, 50));
        Assert.Contains("extract_area", e.Message);

        // A following failure reports only its own problem.
        var next = Assert.Throws<VipsException>(() => new VipsOperation("no_such_operation").Dispose());
        Assert.DoesNotContain("bad extract area", next.Message);
        Assert.Throws<ArgumentException>(() => VipsOps.Run("black", ("width", 4), ("height", 4), ("no-such-property", 1)));
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.WebP)]
    public void Encode_and_decode_round_trip_each_format(ImageFormat format)
    {
        using var noise = VipsOps.GaussNoise(64, 48, 20, 128);
        using var rgb = VipsOps.BandJoin(noise, noise, noise);
        var file = VipsTestImages.Encode(rgb, format);

        Assert.Equal(new ImageInfo(format, 64, 48), ImageProbe.TryProbe(file));
        using var decoded = VipsCodec.Decode(file);
        Assert.Equal((64, 48, 3), (decoded.Width, decoded.Height, decoded.Bands));
    }

    [Fact]
    public void Decoding_keeps_no_reference_to_the_managed_input()
    {
        var file = VipsTestImages.Photo(64, 48, ImageFormat.Png);
        using var decoded = VipsCodec.Decode(file);
        Array.Clear(file); // libvips copied the bytes; scribbling over ours must not matter
        using var sum = decoded.Linear(1, 0);
        Assert.InRange(sum.Avg(), 50, 200);
    }

    [Fact]
    public void Disposed_images_are_released()
    {
        using (VipsOps.Black(4, 4)) { }
        var before = Vips.LiveObjectCount();
        var image = VipsOps.Black(16, 16);
        using (var derived = image.Linear(2, 1)) Assert.True(Vips.LiveObjectCount() > before);
        image.Dispose();
        Assert.Equal(before, Vips.LiveObjectCount());
        Assert.Throws<ObjectDisposedException>(() => image.Width);
    }
}
