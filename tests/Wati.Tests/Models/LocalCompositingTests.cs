using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Models;

/// <summary>replace-background and iclight: geometry, formats and where the light/keying lands.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class LocalCompositingTests
{
    private readonly LocalModelProvider provider = new();

    [Theory]
    [InlineData(70000, 4)]
    [InlineData(4, 30000)]
    public async Task IcLight_frames_a_very_long_thin_input_without_scaling_it_up_whole(int width, int height)
    {
        // Scaling such an input to cover the frame before cropping needs gigabytes; cropping first needs the frame.
        var input = Encode(Flat(width, height, [90, 140, 200]), ImageFormat.Png);
        var output = (await provider.RunOutputsAsync(Request(ModelNames.IcLight,
            new IcLightParameters("p", "None", 25, 2.0, 512, 640, 1, "png"), ("subject_image", input)))).Single();

        Assert.Equal((512, 640), (output.Width, output.Height));
        var means = BandMeans(output.Bytes);
        Assert.InRange(means[2], means[0] + 50, 255); // still the input's blue, lit
    }

    [Fact]
    public async Task Background_output_has_the_background_size_and_is_png()
    {
        var output = Assert.Single(await provider.RunOutputsAsync(Request(ModelNames.ReplaceBackground, new BackgroundParameters(),
            ("fg", Photo(200, 300)), ("bg", Photo(360, 220)))));

        Assert.Equal(("image/png", "png", 360, 220), (output.ContentType, output.Extension, output.Width, output.Height));
        Assert.Equal(new ImageInfo(ImageFormat.Png, 360, 220), ImageProbe.TryProbe(output.Bytes));
        var decoded = Decode(output.Bytes);
        Assert.InRange(decoded.Bands, 3, 4);
    }

    [Fact]
    public async Task Background_keys_out_the_foreground_border_colour()
    {
        // Green backdrop with a red block; scaled x2 it covers the whole 320x240 blue background.
        var fg = Block(160, 120, backdrop: [30, 180, 40], block: [220, 30, 30], noiseSigma: 4);
        var bg = Block(320, 240, backdrop: [20, 40, 200], block: [20, 40, 200]);
        var output = Assert.Single(await provider.RunOutputsAsync(Request(ModelNames.ReplaceBackground, new BackgroundParameters(),
            ("fg", fg), ("bg", bg))));

        AssertNear([220, 30, 30], Pixel(output.Bytes, 160, 120)); // subject kept
        AssertNear([20, 40, 200], Pixel(output.Bytes, 20, 20)); // green backdrop replaced by blue
        AssertNear([20, 40, 200], Pixel(output.Bytes, 300, 200));
    }

    [Fact]
    public async Task Background_uses_the_foreground_alpha_and_centres_it()
    {
        // 100x100 yellow, opaque only in its middle 50x50; fitted into 300x200 it becomes 200x200 at x=50.
        var fg = WithAlpha(100, 100, [230, 220, 20]);
        var bg = Block(300, 200, backdrop: [90, 90, 90], block: [90, 90, 90]);
        var output = Assert.Single(await provider.RunOutputsAsync(Request(ModelNames.ReplaceBackground, new BackgroundParameters(),
            ("fg", fg), ("bg", bg))));

        Assert.Equal((300, 200), (output.Width, output.Height));
        AssertNear([230, 220, 20], Pixel(output.Bytes, 150, 100));
        AssertNear([90, 90, 90], Pixel(output.Bytes, 60, 10)); // inside the fg box, but transparent there
        AssertNear([90, 90, 90], Pixel(output.Bytes, 10, 100)); // outside the fg box
    }

    [Theory]
    [InlineData("webp", ImageFormat.WebP, "image/webp")]
    [InlineData("jpg", ImageFormat.Jpeg, "image/jpeg")]
    [InlineData("png", ImageFormat.Png, "image/png")]
    public async Task IcLight_makes_the_requested_number_of_exactly_sized_images(string format, ImageFormat expected, string contentType)
    {
        var outputs = await provider.RunOutputsAsync(Request(ModelNames.IcLight,
            new IcLightParameters("a portrait", "Left Light", 25, 2.0, 512, 640, 3, format), ("subject_image", Photo())));

        Assert.Equal(3, outputs.Count);
        foreach (var output in outputs)
        {
            Assert.Equal((contentType, format, 512, 640), (output.ContentType, output.Extension, output.Width, output.Height));
            Assert.Equal(new ImageInfo(expected, 512, 640), ImageProbe.TryProbe(output.Bytes));
        }
        Assert.Equal(3, outputs.Select(o => Convert.ToBase64String(o.Bytes)).Distinct().Count());
    }

    [Theory]
    [InlineData("Left Light")]
    [InlineData("Right Light")]
    [InlineData("Top Light")]
    [InlineData("Bottom Light")]
    public async Task IcLight_is_brighter_on_the_side_of_the_light(string light)
    {
        var output = (await provider.RunOutputsAsync(Request(ModelNames.IcLight,
            new IcLightParameters("p", light, 25, 2.0, 256, 256, 1, "png"), ("subject_image", Grey())))).Single();

        var left = RegionMean(output.Bytes, 0, 0, 128, 256);
        var right = RegionMean(output.Bytes, 128, 0, 128, 256);
        var top = RegionMean(output.Bytes, 0, 0, 256, 128);
        var bottom = RegionMean(output.Bytes, 0, 128, 256, 128);
        var (lit, dark) = light switch
        {
            "Left Light" => (left, right),
            "Right Light" => (right, left),
            "Top Light" => (top, bottom),
            _ => (bottom, top),
        };
        Assert.True(lit > dark + 20, $"{light}: lit side {lit:F1}, dark side {dark:F1}");
    }

    [Fact]
    public async Task IcLight_without_direction_relights_uniformly_and_variants_differ()
    {
        var outputs = await provider.RunOutputsAsync(Request(ModelNames.IcLight,
            new IcLightParameters("p", "None", 25, 2.0, 256, 256, 3, "png"), ("subject_image", Grey())));

        var means = outputs.Select(o => BandMeans(o.Bytes)).ToList();
        foreach (var output in outputs)
        {
            var left = RegionMean(output.Bytes, 0, 0, 128, 256);
            var right = RegionMean(output.Bytes, 128, 0, 128, 256);
            Assert.True(Math.Abs(left - right) < 3, $"uniform light, yet left {left:F1} vs right {right:F1}");
        }
        for (var i = 1; i < means.Count; i++)
            Assert.True(means[i].Zip(means[i - 1], (a, b) => Math.Abs(a - b)).Max() > 2, $"variant {i} looks like {i - 1}");
    }

    [Theory]
    [InlineData("Candle Light", "webp")]
    [InlineData("Left Light", "gif")]
    public async Task IcLight_rejects_unknown_light_or_format(string light, string format)
    {
        var e = await Assert.ThrowsAsync<ModelException>(() => provider.RunAsync(Request(ModelNames.IcLight,
            new IcLightParameters("p", light, 25, 2.0, 256, 256, 1, format), ("subject_image", Photo()))));
        Assert.True(e.IsInputError);
    }

    private static void AssertNear(double[] expected, byte[] actual, int tolerance = 25)
    {
        for (var band = 0; band < expected.Length; band++)
            Assert.True(Math.Abs(expected[band] - actual[band]) <= tolerance,
                $"band {band}: expected about {expected[band]}, got [{string.Join(", ", actual)}]");
    }
}
