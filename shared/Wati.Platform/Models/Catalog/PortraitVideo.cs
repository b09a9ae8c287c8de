using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models;

/// <summary>
/// Portrait video, the catalogue's fifth model (issue 18, item 4; the seeds' "generating videos from portraits",
/// seed 000_04eb46e8c76bfbf1): <c>POST /v1/portraits/video</c> with <c>portrait</c> (a file, upload id or https
/// URL) or <c>portrait_id</c> (a portrait of <c>GET /v1/portraits</c>), a <c>prompt</c> and
/// <c>duration_seconds</c> 5 or 10; one video out, charged per second. Locally an animated WebP (a slow zoom
/// over the portrait, <see cref="LocalVideo"/>); on Replicate <c>kwaivgi/kling-v2.1</c>, an MP4
/// (docs/notes/portrait-video-model.md has the model's input names and where they were checked).
/// </summary>
public sealed class PortraitVideo : ModelDefinition<PortraitVideoParameters>
{
    /// <summary>The model's name (price key <c>Wati:Credits:Prices:portrait-video</c>, queue <c>jobs-portrait-video</c>).</summary>
    public const string ModelName = "portrait-video";

    /// <summary>The prompt used when none is given: a gentle motion that suits any portrait.</summary>
    public const string DefaultPrompt = "the person breathes, blinks and smiles gently while the camera slowly pushes in";

    /// <summary>
    /// Longest side of a frame: kling-v2.1's <c>pro</c> mode is 1080p (1920 px on its long side), the local
    /// stand-in at most 512; the output limits are checked against the input's aspect at this bound, not
    /// against the portrait's own size, which the video never has.
    /// </summary>
    public const int MaxFrameSide = 1920;

    /// <inheritdoc />
    public override string Name => ModelName;

    /// <inheritdoc />
    public override string Route => "v1/portraits/video";

    /// <inheritdoc />
    public override string? OperationId => "PortraitVideo";

    /// <inheritdoc />
    public override string Description => "A short video of a portrait (image to video), charged per second";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; } =
    [
        new("portrait", InputKind.Image, "The portrait, the video's first frame (exactly one of portrait and portrait_id)"),
        new("portrait_id", InputKind.Text, "The id (prt_…) of a portrait of GET /v1/portraits, in place of portrait")
        {
            MaxLength = 64, ImageFor = "portrait", StoredImage = StoredImageSource.Portrait,
        },
        new("prompt", InputKind.Text, "The motion or scene") { MaxLength = 1000, Default = DefaultPrompt },
        // 5 or 10 (issue 18, item 4; kling-v2.1's two durations): from 5 to 10 in steps of 5.
        new("duration_seconds", InputKind.Integer, "Length of the video in seconds, 5 or 10 (each second is charged)")
        {
            Min = 5, Max = 10, MultipleOf = 5, Default = 5,
        },
    ];

    /// <inheritdoc />
    public override OutputKind OutputKind => OutputKind.Video;

    /// <inheritdoc />
    public override ModelPrice Price { get; } = new(2, PricePer.Second);

    /// <inheritdoc />
    public override Type MetaType => typeof(PortraitVideoMeta);

    /// <inheritdoc />
    public override ModelParameters Bind(ModelValues values) => new PortraitVideoParameters(values.String("prompt"),
        values.Int("duration_seconds"), values.Find("portrait_id")?.GetValue<string>());

    /// <summary>The seconds asked for.</summary>
    protected override long DurationOf(ModelParameters parameters) =>
        parameters is PortraitVideoParameters p ? p.DurationSeconds : base.DurationOf(parameters);

    /// <summary>A frame: the portrait's aspect, its long side at most <see cref="MaxFrameSide"/>, never upscaled.</summary>
    protected override (long Width, long Height) OutputSize(PortraitVideoParameters p, IReadOnlyDictionary<string, Upload> images)
    {
        var (width, height) = LocalVideo.FrameSize(Math.Max(1, images["portrait"].Info.Width), Math.Max(1, images["portrait"].Info.Height), MaxFrameSide);
        // A URL input of a batch is sized only once fetched (0x0 until then).
        return images["portrait"].Info.Width == 0 ? (0, 0) : (width, height);
    }

    /// <summary><c>portraits/video/{job}.{ext}</c>: <c>webp</c> locally, the provider's format (<c>mp4</c>) on Replicate.</summary>
    public override string OutputKey(JsonElement parameters, string jobId, int index, string extension) =>
        $"portraits/video/{jobId}.{extension}";

    /// <inheritdoc />
    protected override JobMeta Meta(JobMeta common, JobRecord job, PortraitVideoParameters p, int? bytes, string requestId)
    {
        var output = job.State == JobStates.Succeeded ? job.Outputs.FirstOrDefault() : null;
        return new PortraitVideoMeta(common)
        {
            // As iclight's: what ran it (Replicate's owner/name:version, or local/portrait-video); until then our name.
            Model = job.ModelId ?? job.Model,
            DurationSeconds = p.DurationSeconds,
            Format = output is null ? null : Path.GetExtension(output.Key).TrimStart('.'),
            Bytes = bytes,
            RequestId = requestId,
            ReplicatePredictionId = job.PredictionId,
        };
    }

    /// <inheritdoc />
    protected override IReadOnlyList<ModelOutput> RunLocal(PortraitVideoParameters p, LocalInputs inputs, LocalRun run) =>
        [LocalVideo.ZoomWebP(inputs["portrait"], p.DurationSeconds, run.Token, limits: run.Limits).ToOutput()];

    /// <summary>
    /// <c>kwaivgi/kling-v2.1</c>, an official model (run without a version pin): <c>start_image</c>, <c>prompt</c>
    /// and <c>duration</c> (5 or 10, an integer); <c>mode</c> is left at its default, <c>standard</c> (720p).
    /// </summary>
    public override ReplicateModelOptions ReplicateDefaults() => new()
    {
        Model = "kwaivgi/kling-v2.1",
        Inputs = new() { ["portrait"] = "start_image", ["prompt"] = "prompt", ["duration_seconds"] = "duration" },
    };

    /// <summary>The prompt as given (or the default) and the duration as an integer, as the model's schema types it.</summary>
    protected override Dictionary<string, JsonNode?> ReplicateValues(PortraitVideoParameters p, ReplicateModelOptions mapping) => new()
    {
        ["prompt"] = p.Prompt,
        ["duration_seconds"] = p.DurationSeconds,
    };
}

/// <summary>
/// <paramref name="Prompt"/> at most 1,000 characters; <paramref name="DurationSeconds"/> 5 or 10;
/// <paramref name="PortraitId"/> the portrait named by id, null when the portrait was sent.
/// </summary>
public sealed record PortraitVideoParameters(string Prompt, int DurationSeconds, string? PortraitId) : ModelParameters;

/// <summary>
/// portrait-video's meta: <c>duration_seconds</c>, <c>width</c>/<c>height</c> (a frame) and <c>format</c>
/// (<c>webp</c>, <c>mp4</c>) of the output, its <c>bytes</c>, <c>requestId</c>, what ran it (<c>model</c>) and
/// <c>replicate_prediction_id</c> only when Replicate ran it.
/// </summary>
public sealed record PortraitVideoMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal PortraitVideoMeta(JobMeta common) : base(common) { }

    /// <summary>Length of the video in seconds, 5 or 10.</summary>
    public required int DurationSeconds { get; init; }

    /// <summary>The output's format by its extension (<c>webp</c>, <c>mp4</c>); absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Format { get; init; }

    /// <summary>Stored size of the video in bytes; absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <summary>The request id of this answer (camelCase, as the seed models' meta writes it).</summary>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";

    /// <summary>Replicate's prediction id; absent when another provider ran it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReplicatePredictionId { get; init; }
}
