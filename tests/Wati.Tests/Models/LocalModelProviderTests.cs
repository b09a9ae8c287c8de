using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Models;

[Collection(LibVipsCollection.Name)]
public sealed class LocalModelProviderTests
{
    private readonly LocalModelProvider provider = new();

    [Fact]
    public async Task Check_reports_ready_when_libvips_loads()
    {
        // NetVips.Native carries libvips: no machine needs an OS package for this to pass.
        Assert.Null(await provider.CheckAsync());
        Assert.Equal("local", provider.Name);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Gfpgan_scales_both_sides_and_outputs_jpeg(int scale)
    {
        var outputs = (await provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(scale, "1.4"), ("image", Photo())))).Outputs;

        var output = Assert.Single(outputs);
        Assert.Equal((320 * scale, 240 * scale), (output.Width, output.Height));
        Assert.Equal(("image/jpeg", "jpg"), (output.ContentType, output.Extension));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 320 * scale, 240 * scale), ImageProbe.TryProbe(output.Bytes));
    }

    [Fact]
    public async Task Gfpgan_sharpens_and_version_1_4_sharpens_harder()
    {
        var input = Photo(format: ImageFormat.Png);
        var v13 = Assert.Single((await provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("image", input)))).Outputs);
        var v14 = Assert.Single((await provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.4"), ("image", input)))).Outputs);

        var original = EdgeEnergy(input);
        Assert.True(EdgeEnergy(v13.Bytes) > original, "1.3 should add edge contrast");
        Assert.True(EdgeEnergy(v14.Bytes) > EdgeEnergy(v13.Bytes), "1.4 should sharpen more than 1.3");
    }

    [Theory]
    [MemberData(nameof(AllStyles))]
    public async Task Each_style_keeps_the_size_and_shifts_a_band_mean(string style)
    {
        var input = Photo();
        var output = Assert.Single((await provider.RunAsync(Request(ModelNames.ReplaceStyle, new StyleParameters(style), ("image", input)))).Outputs);

        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 320, 240), ImageProbe.TryProbe(output.Bytes));
        Assert.Equal(("image/jpeg", "jpg", 320, 240), (output.ContentType, output.Extension, output.Width, output.Height));
        var before = BandMeans(input);
        var after = BandMeans(output.Bytes);
        Assert.Equal(3, after.Length);
        var largestShift = before.Zip(after, (b, a) => Math.Abs(a - b)).Max();
        Assert.True(largestShift > 2, $"{style}: band means moved at most {largestShift:F2}");
    }

    public static TheoryData<string> AllStyles() => [.. Styles.All];

    [Fact]
    public async Task Styles_differ_from_each_other()
    {
        var input = Photo();
        var outputs = new List<byte[]>();
        foreach (var style in Styles.All)
            outputs.Add(Assert.Single((await provider.RunAsync(Request(ModelNames.ReplaceStyle, new StyleParameters(style), ("image", input)))).Outputs).Bytes);

        Assert.Equal(outputs.Count, outputs.Select(Convert.ToBase64String).Distinct().Count());
    }

    [Fact]
    public async Task Unknown_style_is_an_input_error()
    {
        var e = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(Request(ModelNames.ReplaceStyle, new StyleParameters("cubist"), ("image", Photo()))));
        Assert.True(e.IsInputError);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 2, 3, 4, 5, 6, 7 })]
    [InlineData(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H' })]
    public async Task Undecodable_input_is_an_input_error(byte[] garbage)
    {
        foreach (var model in new (string, ModelParameters)[]
                 {
                     (ModelNames.Gfpgan, new GfpganParameters(2, "1.4")),
                     (ModelNames.ReplaceStyle, new StyleParameters("noir")),
                 })
        {
            var e = await Assert.ThrowsAsync<ModelException>(() => provider.RunAsync(Request(model.Item1, model.Item2, ("image", garbage))));
            Assert.True(e.IsInputError, e.Message);
            Assert.False(e.IsTransient);
        }
    }

    [Fact]
    public async Task Formats_other_than_jpeg_png_webp_are_refused_even_if_libvips_reads_them()
    {
        var gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");
        var e = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("image", gif))));
        Assert.True(e.IsInputError);
    }

    [Fact]
    public async Task Missing_image_field_and_mismatched_parameters_are_input_errors()
    {
        var missing = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("picture", Photo()))));
        var mismatched = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(Request(ModelNames.Gfpgan, new StyleParameters("noir"), ("image", Photo()))));
        Assert.True(missing.IsInputError && mismatched.IsInputError);
    }

    [Fact]
    public async Task A_header_claiming_a_huge_image_is_refused_before_decoding()
    {
        byte[] bomb = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
            0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0, 0, 0, 0, 0];
        var e = await Assert.ThrowsAsync<ModelException>(() =>
            provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("image", bomb))));
        Assert.True(e.IsInputError);
        Assert.Contains("60000x60000", e.Message);
    }

    [Fact]
    public async Task The_process_uses_the_bundled_libvips()
    {
        // docs/decisions/0003 (revision): NetVips.Native's libvips, from the build output, not an OS package.
        await provider.RunAsync(Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("image", Photo(32, 24))));

        var mapped = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last())
            .Where(path => path.Contains("libvips", StringComparison.Ordinal)).Distinct().ToList();
        var bundled = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libvips.so.42");
        Assert.Equal(bundled, Assert.Single(mapped));
        Assert.Equal([8, 18, 7], new[] { NetVips.NetVips.Version(0), NetVips.NetVips.Version(1), NetVips.NetVips.Version(2) });
    }

    private static double EdgeEnergy(byte[] file)
    {
        return Decode(file).Colourspace(NetVips.Enums.Interpretation.Bw).Sobel().Avg();
    }
}
