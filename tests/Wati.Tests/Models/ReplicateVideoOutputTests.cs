using System.Text.Json.Nodes;
using FakeReplicate;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;
using Wati.Tests.Support;
using static Wati.Tests.Support.MediaSamples;

namespace Wati.Tests.Models;

/// <summary>
/// Issue 18, item 4: outputs of a video or audio model on Replicate are downloaded as what their bytes are,
/// and every model still refuses outputs of another kind (an image model a video, a video model an image).
/// </summary>
public sealed class ReplicateVideoOutputTests
{
    private static readonly byte[] Portrait = TinyImages.Png(6, 4, seed: 5);

    /// <summary>Creates a prediction of an image-to-video model on the fake (which answers its end at once) and downloads it as <paramref name="expected"/>.</summary>
    private static async Task<IReadOnlyList<ModelOutput>> RunAsync(ReplicateTestHost host, MediaKind expected)
    {
        var input = new JsonObject
        {
            ["image"] = "data:image/png;base64," + Convert.ToBase64String(Portrait),
            ["prompt"] = "she turns and smiles",
            ["duration"] = 5,
        };
        var prediction = await host.Client.CreatePredictionAsync("kwaivgi/kling-v2.1", null, input, waitSeconds: 5);
        Assert.Equal(ReplicateStatus.Succeeded, prediction.Status);
        return await ReplicateOutputs.DownloadAsync(prediction, host.Client, expected, CancellationToken.None);
    }

    [Fact]
    public async Task A_prediction_whose_output_is_an_mp4_url_is_downloaded_as_video_mp4()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var mp4 = IsoMedia("isom");
        // Video models on Replicate answer their output as one URL string, not an array.
        host.Fake.Script(new FakeScenario(OutputAsString: true, OutputFile: new FakeOutputFile(mp4, "video/mp4", "mp4")));

        var output = Assert.Single(await RunAsync(host, MediaKind.Video));

        Assert.Equal(new ModelOutput(output.Bytes, "video/mp4", "mp4", 0, 0), output);
        Assert.Equal(mp4, output.Bytes);
        Assert.Contains(host.Fake.Requests, r => r.Path.EndsWith("/out-0.mp4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_video_is_known_by_its_bytes_not_by_the_content_type_it_is_served_with()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var webm = Ebml("webm");
        host.Fake.Script(new FakeScenario(OutputFile: new FakeOutputFile(webm, "application/octet-stream", "bin")));

        var output = Assert.Single(await RunAsync(host, MediaKind.Video));

        Assert.Equal(("video/webm", "webm"), (output.ContentType, output.Extension));
    }

    [Fact]
    public async Task An_animated_webp_is_a_video_with_its_frame_size()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var webp = WebPExtended(0x02, 480, 640);
        host.Fake.Script(new FakeScenario(OutputFile: new FakeOutputFile(webp, "image/webp", "webp")));

        var output = Assert.Single(await RunAsync(host, MediaKind.Video));

        Assert.Equal(("image/webp", "webp", 480, 640), (output.ContentType, output.Extension, output.Width, output.Height));
    }

    [Fact]
    public async Task An_audio_model_gets_its_wav()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var wav = LocalAudio.ToneWav("rain", 0.25);
        host.Fake.Script(new FakeScenario(OutputFile: new FakeOutputFile(wav, "audio/x-wav", "wav")));

        var output = Assert.Single(await RunAsync(host, MediaKind.Audio));

        Assert.Equal(new ModelOutput(wav, "audio/wav", "wav", 0, 0), output with { Bytes = wav });
        Assert.Equal(wav, output.Bytes);
    }

    [Fact]
    public async Task A_video_model_refuses_an_image_output_naming_what_it_got()
    {
        await using var host = await ReplicateTestHost.StartAsync(); // the fake's default output is a PNG

        var e = await Assert.ThrowsAsync<ModelException>(() => RunAsync(host, MediaKind.Video));

        Assert.Contains("is not a video", e.Message);
        Assert.Contains("(it is image/png)", e.Message);
        Assert.False(e.IsTransient);
        Assert.False(e.IsInputError);
    }

    [Fact]
    public async Task An_audio_model_refuses_a_video()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(OutputFile: new FakeOutputFile(IsoMedia(), "video/mp4", "mp4")));

        var e = await Assert.ThrowsAsync<ModelException>(() => RunAsync(host, MediaKind.Audio));

        Assert.Contains("is not audio", e.Message);
        Assert.Contains("(it is video/mp4)", e.Message);
    }

    [Fact]
    public async Task An_image_model_still_refuses_an_mp4_and_an_animated_gif()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(
            new FakeScenario(OutputFile: new FakeOutputFile(IsoMedia(), "video/mp4", "mp4")),
            new FakeScenario(OutputFile: new FakeOutputFile(Gif(frames: 2), "image/gif", "gif")));

        // Through the provider, as the four seed models run, and through the image overload.
        var provider = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Portrait)));
        var overload = await Assert.ThrowsAsync<ModelException>(() => RunAsync(host, MediaKind.Image));

        Assert.Contains("is not a JPEG, PNG or WebP image", provider.Message);
        Assert.Contains("is not a JPEG, PNG or WebP image", overload.Message);
    }

    [Fact]
    public async Task An_image_model_gets_its_images_as_before()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(Outputs: 2));

        var outputs = await RunAsync(host, MediaKind.Image);

        Assert.Equal(2, outputs.Count);
        Assert.All(outputs, o => Assert.Equal(("image/png", "png", 6, 4), (o.ContentType, o.Extension, o.Width, o.Height)));
    }
}
