using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models;

/// <summary>
/// IC-Light portrait relighting (design section 10; seed 002 section 2): <c>POST /v1/portraits/iclight</c>
/// with <c>subject_image</c>, <c>prompt</c> and the sampling settings; <c>number_of_images</c> outputs,
/// each charged.
/// </summary>
public sealed class IcLight : ModelDefinition<IcLightParameters>
{
    /// <summary>The output formats (<c>jpeg</c> is taken as <c>jpg</c>).</summary>
    public static readonly IReadOnlyList<string> OutputFormats = ["webp", "jpg", "png"];

    /// <inheritdoc />
    public override string Name => ModelNames.IcLight;

    /// <inheritdoc />
    public override string Route => "v1/portraits/iclight";

    /// <inheritdoc />
    public override string? OperationId => "IcLight";

    /// <inheritdoc />
    public override string Description => "IC-Light portrait relighting: several outputs, charged per image";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; } =
    [
        new("subject_image", InputKind.Image, "The portrait"),
        new("prompt", InputKind.Text, "What the light should look like") { Required = true, MaxLength = 500 },
        new("light_source", InputKind.Enum, "Where the light comes from") { Values = LightSources.All, Default = "None" },
        new("steps", InputKind.Integer, "Sampling steps") { Min = 1, Max = 100, Default = 25 },
        new("cfg", InputKind.Number, "Guidance scale") { Min = 1, Max = 32, Default = 2 },
        new("width", InputKind.Integer, "Output width in pixels") { Min = 256, Max = 1024, MultipleOf = 64, Default = 512 },
        new("height", InputKind.Integer, "Output height in pixels") { Min = 256, Max = 1024, MultipleOf = 64, Default = 640 },
        new("number_of_images", InputKind.Integer, "How many images (each is charged)") { Min = 1, Max = 12, Default = 1 },
        new("output_format", InputKind.Enum, "Output format (jpeg is taken as jpg)")
        {
            Values = OutputFormats, Default = "webp", Aliases = new Dictionary<string, string> { ["jpeg"] = "jpg" },
        },
    ];

    /// <inheritdoc />
    public override OutputKind OutputKind => OutputKind.Images;

    /// <inheritdoc />
    public override ModelPrice Price { get; } = new(3, PricePer.Output);

    /// <inheritdoc />
    public override Type MetaType => typeof(IcLightMeta);

    /// <inheritdoc />
    public override ModelParameters Bind(ModelValues values) => new IcLightParameters(values.String("prompt"), values.String("light_source"),
        values.Int("steps"), values.Double("cfg"), values.Int("width"), values.Int("height"), values.Int("number_of_images"),
        values.String("output_format"));

    /// <inheritdoc />
    protected override int OutputCount(IcLightParameters p) => p.NumberOfImages;

    /// <summary>width by height.</summary>
    protected override (long Width, long Height) OutputSize(IcLightParameters p, IReadOnlyDictionary<string, Uploads.Upload> images) =>
        (p.Width, p.Height);

    /// <summary><c>portraits/iclight/{job}-{index}.{ext}</c> (the response-format document's layout).</summary>
    public override string OutputKey(JsonElement parameters, string jobId, int index, string extension) =>
        $"portraits/iclight/{jobId}-{index}.{extension}";

    /// <inheritdoc />
    protected override JobMeta Meta(JobMeta common, JobRecord job, IcLightParameters p, int? bytes, string requestId) => new IcLightMeta(common)
    {
        // The document's meta.model is what ran it (Replicate's owner/name:version, or local/iclight);
        // until it has run, the platform's model name.
        Model = job.ModelId ?? job.Model,
        Prompt = OutsideText.Bound(p.Prompt, OutsideText.PromptMaxChars), LightSource = p.LightSource, Steps = p.Steps, Cfg = p.Cfg,
        Width = p.Width, Height = p.Height, NumberOfImages = p.NumberOfImages,
        Strategy = job.Strategy, ReplicatePredictionId = job.PredictionId,
    };

    /// <inheritdoc />
    protected override IReadOnlyList<ModelOutput> RunLocal(IcLightParameters p, LocalInputs inputs, LocalRun run) =>
        IcLightModel.Run(inputs["subject_image"], p, run);

    /// <summary>zsxkib/ic-light, the model the design names, pinned to a version; our names are its own.</summary>
    public override ReplicateModelOptions ReplicateDefaults() => new()
    {
        Model = "zsxkib/ic-light",
        Version = "d41bcb10d8c159868f4cfbd7c6a2ca01484f7d39e4613419d5952c61562f1ba7",
        Inputs = new()
        {
            ["subject_image"] = "subject_image", ["prompt"] = "prompt", ["light_source"] = "light_source",
            ["steps"] = "steps", ["cfg"] = "cfg", ["width"] = "width", ["height"] = "height",
            ["number_of_images"] = "number_of_images", ["output_format"] = "output_format",
        },
    };

    /// <inheritdoc />
    protected override Dictionary<string, JsonNode?> ReplicateValues(IcLightParameters p, ReplicateModelOptions mapping) => new()
    {
        ["prompt"] = p.Prompt,
        ["light_source"] = p.LightSource,
        ["steps"] = p.Steps,
        ["cfg"] = p.Cfg,
        ["width"] = p.Width,
        ["height"] = p.Height,
        ["number_of_images"] = p.NumberOfImages,
        ["output_format"] = p.OutputFormat,
    };
}

/// <summary>
/// <paramref name="LightSource"/> one of <see cref="LightSources.All"/>; <paramref name="Width"/> and
/// <paramref name="Height"/> 256..1024 in steps of 64; <paramref name="NumberOfImages"/> 1..12;
/// <paramref name="OutputFormat"/> webp, jpg or png.
/// </summary>
public sealed record IcLightParameters(string Prompt, string LightSource, int Steps, double Cfg, int Width, int Height,
    int NumberOfImages, string OutputFormat) : ModelParameters;

/// <summary>Where IC-Light's light comes from.</summary>
public static class LightSources
{
    /// <summary>Every light source, as the route accepts and answers it.</summary>
    public static readonly IReadOnlyList<string> All = ["None", "Left Light", "Right Light", "Top Light", "Bottom Light"];
}

/// <summary>
/// iclight's meta: the run's parameters, what ran it (<c>model</c>), how inputs reached it (<c>strategy</c>)
/// and <c>replicate_prediction_id</c> only when Replicate ran it.
/// </summary>
public sealed record IcLightMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal IcLightMeta(JobMeta common) : base(common) { }

    /// <summary>The prompt, bounded.</summary>
    public required string Prompt { get; init; } = "";

    /// <summary>One of <see cref="LightSources.All"/>.</summary>
    public required string LightSource { get; init; } = "";

    /// <summary>Sampling steps.</summary>
    public required int Steps { get; init; }

    /// <summary>Guidance scale.</summary>
    public required double Cfg { get; init; }

    /// <summary>How many images were asked for.</summary>
    public required int NumberOfImages { get; init; }

    /// <summary>How inputs reached the provider (e.g. <c>in-process</c>, <c>upload-to-replicate</c>); absent before the run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Strategy { get; init; }

    /// <summary>Replicate's prediction id; absent when another provider ran it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReplicatePredictionId { get; init; }
}
