using NetVips;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using static Wati.Tests.Models.VipsTestImages;
using static Wati.Tests.Uploads.InputSamples;

namespace Wati.Tests.Uploads;

/// <summary>The one input normalisation: orientation, colour profiles, frames, bit depths and broken files.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class InputImagesTests
{
    private const string Incomplete = "the image data is incomplete or corrupt";

    private static byte[] PixelOf(Image image, int x, int y) => image.Getpoint(x, y).Select(v => (byte)Math.Round(v)).ToArray();

    [Theory]
    [InlineData(1, 400, 200)]
    [InlineData(2, 400, 200)]
    [InlineData(3, 400, 200)]
    [InlineData(4, 400, 200)]
    [InlineData(5, 200, 400)]
    [InlineData(6, 200, 400)]
    [InlineData(7, 200, 400)]
    [InlineData(8, 200, 400)]
    public void Every_exif_orientation_comes_out_as_viewers_show_it(int orientation, int width, int height)
    {
        var image = InputImages.Open(Oriented(orientation), "image");

        Assert.Equal((width, height), (image.Image.Width, image.Image.Height));
        Assert.Equal(orientation != 1, image.Rotated);
        var (x, y) = MarkerPixel(orientation, width, height);
        AssertColour(Marker, PixelOf(image.Image, x, y));
        // The diagonally opposite corner is the blue field, so the marker is not everywhere.
        AssertColour(Field, PixelOf(image.Image, width - 1 - x, height - 1 - y));
    }

    [Fact]
    public void Adobe_rgb_pixels_become_the_srgb_colour_a_colour_managed_viewer_shows()
    {
        var image = InputImages.Open(Tagged(AdobeGreen, AdobeRgbProfile()), "image");

        Assert.True(image.ColourConverted);
        var expected = AdobeToSrgb(AdobeGreen); // about 90, 171, 107: visibly not the raw 120, 170, 110
        AssertColour(expected, PixelOf(image.Image, 10, 10), tolerance: 3);
        Assert.True(image.Image.Contains("icc-profile-data"), "converted pixels carry the sRGB profile");
    }

    [Fact]
    public void Display_p3_pixels_come_back_to_their_srgb_colour()
    {
        double[] green = [40, 180, 60];
        var image = InputImages.Open(InProfile(green, "p3"), "image");
        AssertColour(green, PixelOf(image.Image, 5, 5), tolerance: 3);
    }

    [Fact]
    public void Cmyk_jpegs_become_three_band_srgb()
    {
        double[] tan = [150, 120, 90];
        var image = InputImages.Open(InProfile(tan, "cmyk"), "image");

        Assert.Equal((3, Enums.Interpretation.Srgb), (image.Image.Bands, image.Image.Interpretation));
        AssertColour(tan, PixelOf(image.Image, 5, 5), tolerance: 8);
    }

    [Fact]
    public void Animated_input_uses_its_first_frame_and_says_so()
    {
        var image = InputImages.Open(AnimatedWebP(), "image");

        Assert.True(image.FirstFrameOnly);
        Assert.Equal((30, 20), (image.Image.Width, image.Image.Height));
        AssertColour([255, 0, 0], PixelOf(image.Image, 15, 10), tolerance: 2);
    }

    [Fact]
    public void Sixteen_bit_grey_and_palette_pngs_still_decode_as_8_bit_srgb()
    {
        var grey16 = (Image.Black(8, 8) + 30000).Cast(Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Grey16).PngsaveBuffer();
        var palette = Flat(8, 8, [200, 100, 50]).PngsaveBuffer(palette: true);

        var g = InputImages.Open(grey16, "image");
        Assert.Equal((3, Enums.BandFormat.Uchar), (g.Image.Bands, g.Image.Format));
        AssertColour([117, 117, 117], PixelOf(g.Image, 1, 1), tolerance: 1); // 30000 / 65535 * 255
        Assert.False(g.Changed);

        var p = InputImages.Open(palette, "image");
        AssertColour([200, 100, 50], PixelOf(p.Image, 1, 1), tolerance: 3);
    }

    public static TheoryData<string, byte[]> BrokenFiles => new()
    {
        { "first 40% of an 800x600 JPEG", FirstPart(Photo800(ImageFormat.Jpeg), 0.4) },
        { "first 40% of an 800x600 PNG", FirstPart(Photo800(ImageFormat.Png), 0.4) },
        { "PNG with random IDAT bytes", RandomIdat() },
        { "23-byte JPEG with only a frame header", HeaderOnlyJpeg() },
        { "WebP with a corrupt bitstream", CorruptWebP() },
        // Damaged entropy data that still ends with an end-of-image marker: libjpeg only warns about it.
        { "first 40% of a JPEG with its end marker put back", [.. FirstPart(Photo800(ImageFormat.Jpeg), 0.4), 0xFF, 0xD9] },
        { "JPEG with an end marker in the middle of its data", EndMarkerInTheMiddle(Photo800(ImageFormat.Jpeg)) },
    };

    private static byte[] EndMarkerInTheMiddle(byte[] jpeg)
    {
        var copy = (byte[])jpeg.Clone();
        copy[copy.Length / 2] = 0xFF;
        copy[copy.Length / 2 + 1] = 0xD9;
        return copy;
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Files_that_do_not_decode_completely_are_refused_with_our_own_message(string _, byte[] file)
    {
        var e = Assert.Throws<InputImageException>(() => InputImages.Decode(InputImages.Open(file, "bg"), "bg"));

        Assert.Equal((Incomplete, "bg", "incomplete_image"), (e.Message, e.Field, e.Reason));
        Assert.False(string.IsNullOrWhiteSpace(e.Detail), "the library's words are kept for the log");
    }

    [Fact]
    public void A_failure_reports_none_of_the_text_an_earlier_call_left_in_the_libvips_buffer()
    {
        // A permissive decode of a truncated JPEG succeeds but leaves "premature end" in libvips'
        // process-wide error buffer; this is how one request's text used to reach another's answer.
        _ = Image.NewFromBuffer(FirstPart(Photo800(ImageFormat.Jpeg), 0.4)).Avg();

        var e = Assert.Throws<InputImageException>(() => InputImages.Decode(InputImages.Open(HeaderOnlyJpeg(), "image"), "image"));

        Assert.Equal(Incomplete, e.Message);
        Assert.DoesNotContain("premature", e.Detail, StringComparison.OrdinalIgnoreCase);
    }
}
