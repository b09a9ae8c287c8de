using System.Text.Json;
using FakeReplicate;
using Wati.Platform.Models;
using Wati.Platform.Models.Replicate;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>The replicate provider's successful runs against the fake Replicate API: what it sends, what it returns.</summary>
public sealed class ReplicateModelProviderTests
{
    private static readonly byte[] Photo = TinyImages.Png(6, 4, seed: 9);

    private static JsonElement Body(FakeRequest request) => JsonDocument.Parse(request.Body).RootElement;

    [Fact]
    public async Task GfpganSendsASmallImageAsADataUriWithTokenWaitVersionAndInputNames()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        var result = await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo, scale: 3, version: "1.3"));

        var create = Assert.Single(host.Creates);
        Assert.Equal("/v1/predictions", create.Path);
        Assert.Equal($"Bearer {ReplicateTestHost.Token}", create.Authorization);
        Assert.Equal("wait=5", create.Prefer);
        var body = Body(create);
        var version = ReplicateDefaults.Models[ModelNames.Gfpgan].Version;
        Assert.Equal(version, body.GetProperty("version").GetString());
        var input = body.GetProperty("input");
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(Photo), input.GetProperty("img").GetString());
        Assert.Equal("v1.3", input.GetProperty("version").GetString());
        Assert.Equal(3, input.GetProperty("scale").GetInt32());

        Assert.Equal("data-uri", result.Strategy);
        Assert.Equal($"tencentarc/gfpgan:{version}", result.ModelId);
        Assert.NotNull(result.PredictionId);
        var output = Assert.Single(result.Outputs);
        Assert.Equal(Assert.Single(host.Fake.OutputsOf(result.PredictionId!)), output.Bytes);
        // The fake sizes gfpgan's output as the model does: the 6x4 input times scale 3.
        Assert.Equal(("image/png", "png", 18, 12), (output.ContentType, output.Extension, output.Width, output.Height));
    }

    [Fact]
    public async Task IcLightReturnsEveryOutputInOrderWithItsSize()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        var result = await host.Provider.RunAsync(ReplicateRequests.IcLight(Photo, images: 3));

        var input = Body(Assert.Single(host.Creates)).GetProperty("input");
        Assert.Equal(ReplicateDefaults.Models[ModelNames.IcLight].Version, Body(host.Creates[0]).GetProperty("version").GetString());
        Assert.StartsWith("data:image/png;base64,", input.GetProperty("subject_image").GetString());
        Assert.Equal("soft window light", input.GetProperty("prompt").GetString());
        Assert.Equal("Left Light", input.GetProperty("light_source").GetString());
        Assert.Equal((20, 2.5, 512, 640, 3, "png"), (input.GetProperty("steps").GetInt32(), input.GetProperty("cfg").GetDouble(),
            input.GetProperty("width").GetInt32(), input.GetProperty("height").GetInt32(),
            input.GetProperty("number_of_images").GetInt32(), input.GetProperty("output_format").GetString()));

        var served = host.Fake.OutputsOf(result.PredictionId!);
        Assert.Equal(3, result.Outputs.Count);
        Assert.Equal(served, result.Outputs.Select(o => o.Bytes));
        Assert.Equal(3, served.Distinct(new BytesComparer()).Count());
        Assert.All(result.Outputs, o => Assert.Equal((512, 640), (o.Width, o.Height)));
    }

    [Fact]
    public async Task AJpegOutputGivenAsABareStringIsReadAsJpeg()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(OutputAsString: true));

        var result = await host.Provider.RunAsync(ReplicateRequests.IcLight(Photo, images: 1, format: "jpg"));

        var output = Assert.Single(result.Outputs);
        Assert.Equal(FakeImages.Jpeg, output.Bytes);
        Assert.Equal(("image/jpeg", "jpg", 3, 2), (output.ContentType, output.Extension, output.Width, output.Height));
    }

    [Fact]
    public async Task AnImageAboveTheThresholdIsUploadedThroughTheFilesApi()
    {
        var large = TinyImages.Png(40, 40, seed: 3);
        await using var host = await ReplicateTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Wati:Models:Replicate:DataUriMaxBytes"] = (large.Length - 1).ToString(),
        });

        var result = await host.Provider.RunAsync(ReplicateRequests.Gfpgan(large));

        var upload = Assert.Single(host.Fake.Requests, r => r.Path == "/v1/files");
        Assert.Equal($"Bearer {ReplicateTestHost.Token}", upload.Authorization);
        Assert.StartsWith("multipart/form-data", upload.ContentType);
        var (fileId, bytes) = Assert.Single(host.Fake.UploadedFiles);
        Assert.Equal(large, bytes);
        Assert.Equal($"{host.Fake.BaseUrl}/v1/files/{fileId}", Body(Assert.Single(host.Creates)).GetProperty("input").GetProperty("img").GetString());
        Assert.Equal("upload-to-replicate", result.Strategy);
        Assert.Single(result.Outputs);
    }

    [Fact]
    public async Task ASlowPredictionIsPolledThroughUrlsGetUntilItEnds()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(PollsBeforeDone: 3, Outputs: 2));

        var result = await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));

        var polls = host.Polls(result.PredictionId!);
        Assert.Equal(3, polls.Count);
        Assert.All(polls, p => Assert.Equal($"Bearer {ReplicateTestHost.Token}", p.Authorization));
        Assert.Equal(host.Fake.OutputsOf(result.PredictionId!), result.Outputs.Select(o => o.Bytes));
        Assert.Equal("succeeded", host.Fake.StatusOf(result.PredictionId!));
    }

    [Fact]
    public async Task StyleAndBackgroundUseTheirConfigurableDefaultModelsAndPrompts()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var fg = TinyImages.Png(5, 5, seed: 1);
        var bg = TinyImages.Png(7, 3, seed: 2);

        var style = await host.Provider.RunAsync(new ModelRequest(ModelNames.ReplaceStyle,
            new Dictionary<string, byte[]> { ["image"] = Photo }, new StyleParameters("anime")));
        var background = await host.Provider.RunAsync(new ModelRequest(ModelNames.ReplaceBackground,
            new Dictionary<string, byte[]> { ["fg"] = fg, ["bg"] = bg }, new BackgroundParameters()));

        Assert.Equal("/v1/models/black-forest-labs/flux-kontext-pro/predictions", host.Creates[0].Path);
        var styleBody = Body(host.Creates[0]);
        Assert.False(styleBody.TryGetProperty("version", out _));
        Assert.Contains("anime", styleBody.GetProperty("input").GetProperty("prompt").GetString());
        Assert.StartsWith("data:image/png;base64,", styleBody.GetProperty("input").GetProperty("input_image").GetString());
        Assert.Equal("black-forest-labs/flux-kontext-pro:latest", style.ModelId);

        Assert.Equal("/v1/models/flux-kontext-apps/multi-image-kontext-pro/predictions", host.Creates[1].Path);
        var bgInput = Body(host.Creates[1]).GetProperty("input");
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(fg), bgInput.GetProperty("input_image_1").GetString());
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(bg), bgInput.GetProperty("input_image_2").GetString());
        Assert.Single(background.Outputs);
    }

    [Fact]
    public async Task ConfigurationChoosesTheModelVersionAndInputNames()
    {
        await using var host = await ReplicateTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Wati:Models:Replicate:Models:replace-style:Model"] = "someone/stylist",
            ["Wati:Models:Replicate:Models:replace-style:Version"] = "abc123",
            ["Wati:Models:Replicate:Models:replace-style:Inputs:image"] = "photo",
            ["Wati:Models:Replicate:Models:replace-style:Inputs:style"] = "style_name",
            ["Wati:Models:Replicate:Models:gfpgan:Version"] = "def456",
        });

        var style = await host.Provider.RunAsync(new ModelRequest(ModelNames.ReplaceStyle,
            new Dictionary<string, byte[]> { ["image"] = Photo }, new StyleParameters("noir")));
        await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));

        var styleBody = Body(host.Creates[0]);
        Assert.Equal(("/v1/predictions", "abc123"), (host.Creates[0].Path, styleBody.GetProperty("version").GetString()));
        var input = styleBody.GetProperty("input");
        Assert.Equal(["photo", "style_name"], input.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("noir", input.GetProperty("style_name").GetString());
        Assert.Equal("someone/stylist:abc123", style.ModelId);
        Assert.Equal("def456", Body(host.Creates[1]).GetProperty("version").GetString());
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
