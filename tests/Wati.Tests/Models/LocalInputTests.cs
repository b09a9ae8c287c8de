using NetVips;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using static Wati.Tests.Models.VipsTestImages;
using static Wati.Tests.Uploads.InputSamples;

namespace Wati.Tests.Models;

/// <summary>The local models get normalised inputs (upright, sRGB) and tag what they write as sRGB.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class LocalInputTests
{
    private readonly LocalModelProvider provider = new();

    public static TheoryData<string> Models => new() { ModelNames.Gfpgan, ModelNames.ReplaceStyle, ModelNames.ReplaceBackground, ModelNames.IcLight };

    private static ModelRequest RequestFor(string model, byte[] image) => model switch
    {
        ModelNames.Gfpgan => Request(model, new GfpganParameters(1, "1.3"), ("image", image)),
        ModelNames.ReplaceStyle => Request(model, new StyleParameters("pop-art"), ("image", image)),
        // A fully transparent foreground: the output is the background as the model saw it.
        ModelNames.ReplaceBackground => Request(model, new BackgroundParameters(), ("fg", Encode(Flat(4, 4, [0, 0, 0, 0]), Platform.Uploads.ImageFormat.Png)), ("bg", image)),
        _ => Request(model, new IcLightParameters("p", "None", 20, 2, 256, 512, 1, "png"), ("subject_image", image)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task A_phone_photo_tagged_orientation_6_comes_out_upright(string model)
    {
        var output = Assert.Single(await provider.RunOutputsAsync(RequestFor(model, Oriented(6))));

        var (width, height) = model == ModelNames.IcLight ? (256, 512) : (200, 400);
        Assert.Equal((width, height), (output.Width, output.Height));
        // Shown upright the stored top-left marker is at the top right, the bottom left is the field.
        var marker = Pixel(output.Bytes, width - 1 - width / 16, height / 16);
        var field = Pixel(output.Bytes, width / 16, height - 1 - height / 16);
        Assert.True(marker[0] > field[0] + 60, $"marker {string.Join(",", marker)} should be redder than field {string.Join(",", field)}");
        Assert.True(field[2] > marker[2] + 60, "the field should be bluer than the marker");
    }

    [Theory]
    [InlineData(ModelNames.Gfpgan)]
    [InlineData(ModelNames.ReplaceBackground)]
    public async Task Adobe_rgb_input_keeps_its_colour_and_the_output_is_tagged_srgb(string model)
    {
        var output = Assert.Single(await provider.RunOutputsAsync(RequestFor(model, Tagged(AdobeGreen, AdobeRgbProfile()))));

        AssertColour(AdobeToSrgb(AdobeGreen), Pixel(output.Bytes, 20, 20), tolerance: 4);
        var decoded = Image.NewFromBuffer(output.Bytes);
        Assert.True(decoded.Contains("icc-profile-data"), "output carries a profile");
        var srgb = Flat(1, 1, [0, 0, 0]).IccTransform("srgb", inputProfile: "srgb");
        Assert.Equal((byte[])srgb.Get("icc-profile-data"), (byte[])decoded.Get("icc-profile-data"));
    }

    [Fact]
    public async Task A_file_only_the_full_decode_finds_broken_is_an_input_error_in_our_words()
    {
        var e = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(RequestFor(ModelNames.ReplaceBackground, FirstPart(Photo800(Platform.Uploads.ImageFormat.Jpeg), 0.4))));

        Assert.True(e.IsInputError);
        Assert.Equal("bg: the image data is incomplete or corrupt", e.Message);
    }

    [Fact]
    public async Task Two_runs_at_once_each_get_their_own_clean_message()
    {
        // Two providers, so their gates do not serialise them: libvips runs both at once.
        var other = new LocalModelProvider();
        var truncated = FirstPart(Photo800(Platform.Uploads.ImageFormat.Jpeg), 0.4);
        var corruptWebP = CorruptWebP();
        for (var round = 0; round < 5; round++)
        {
            var a = Assert.ThrowsAsync<ModelException>(() => provider.RunAsync(RequestFor(ModelNames.Gfpgan, truncated)));
            var b = Assert.ThrowsAsync<ModelException>(() => other.RunAsync(RequestFor(ModelNames.IcLight, corruptWebP)));
            await Task.WhenAll(a, b);
            Assert.Equal("image: the image data is incomplete or corrupt", (await a).Message);
            Assert.Equal("subject_image: the image data is incomplete or corrupt", (await b).Message);
        }
    }
}
