using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models;

/// <summary>
/// GFPGAN face enhancement and upscale (design sections 8 and 10; seed 002 section 1): <c>POST /v1/gfpgan</c>
/// with <c>image</c>, <c>scale</c> 1..4 and <c>version</c> 1.3 or 1.4; one image out, the input times scale.
/// </summary>
public sealed class Gfpgan : ModelDefinition<GfpganParameters>
{
    /// <summary>The versions the route accepts (a leading <c>v</c> is taken too).</summary>
    public static readonly IReadOnlyList<string> Versions = ["1.3", "1.4"];

    /// <inheritdoc />
    public override string Name => ModelNames.Gfpgan;

    /// <inheritdoc />
    public override string Route => "v1/gfpgan";

    /// <inheritdoc />
    public override string? OperationId => "Gfpgan";

    /// <inheritdoc />
    public override string Description => "GFPGAN face enhancement and upscale";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; } =
    [
        new("image", InputKind.Image, "The photo"),
        new("scale", InputKind.Integer, "Upscale factor") { Min = 1, Max = 4, Default = 2 },
        new("version", InputKind.Enum, "GFPGAN version (a leading v is accepted)")
        {
            Values = Versions, Default = "1.4", Accepted = ["v1.3", "v1.4"], Normalise = v => v.TrimStart('v'),
        },
    ];

    /// <inheritdoc />
    public override OutputKind OutputKind => OutputKind.Image;

    /// <inheritdoc />
    public override ModelPrice Price { get; } = new(1, PricePer.Call);

    /// <inheritdoc />
    public override Type MetaType => typeof(GfpganMeta);

    /// <inheritdoc />
    public override ModelParameters Bind(ModelValues values) => new GfpganParameters(values.Int("scale"), values.String("version"));

    /// <summary>The input times scale.</summary>
    protected override (long Width, long Height) OutputSize(GfpganParameters p, IReadOnlyDictionary<string, Uploads.Upload> images) =>
        ((long)images["image"].Info.Width * p.Scale, (long)images["image"].Info.Height * p.Scale);

    /// <summary>The response-format document's layout: <c>gfpgan/s{scale}-v{version}/{job}.{ext}</c>.</summary>
    public override string OutputKey(JsonElement parameters, string jobId, int index, string extension) =>
        $"gfpgan/s{parameters.GetProperty("scale").GetInt32()}-v{parameters.GetProperty("version").GetString()}/{jobId}.{extension}";

    /// <inheritdoc />
    protected override JobMeta Meta(JobMeta common, JobRecord job, GfpganParameters p, int? bytes, string requestId) =>
        new GfpganMeta(common) { Scale = p.Scale, Version = p.Version, Bytes = bytes, RequestId = requestId };

    /// <inheritdoc />
    protected override IReadOnlyList<ModelOutput> RunLocal(GfpganParameters p, LocalInputs inputs, LocalRun run) =>
        [GfpganModel.Run(inputs["image"], p, run)];

    /// <summary>tencentarc/gfpgan, the model the design names, pinned to a version.</summary>
    public override ReplicateModelOptions ReplicateDefaults() => new()
    {
        Model = "tencentarc/gfpgan",
        Version = "0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c",
        Inputs = new() { ["image"] = "img", ["version"] = "version", ["scale"] = "scale" },
    };

    /// <summary>Replicate's gfpgan takes the version as <c>v1.4</c>.</summary>
    protected override Dictionary<string, JsonNode?> ReplicateValues(GfpganParameters p, ReplicateModelOptions mapping) => new()
    {
        ["version"] = p.Version.StartsWith('v') ? p.Version : "v" + p.Version,
        ["scale"] = p.Scale,
    };
}

/// <summary><paramref name="Scale"/> 1..4; <paramref name="Version"/> "1.3" or "1.4".</summary>
public sealed record GfpganParameters(int Scale, string Version) : ModelParameters;

/// <summary>gfpgan's meta: <c>scale</c>, <c>version</c>, <c>bytes</c> of the output, <c>requestId</c>.</summary>
public sealed record GfpganMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal GfpganMeta(JobMeta common) : base(common) { }

    /// <summary>Upscale factor, 1..4.</summary>
    public required int Scale { get; init; }

    /// <summary>GFPGAN version, <c>1.3</c> or <c>1.4</c>.</summary>
    public required string Version { get; init; } = "";

    /// <summary>Stored size of the output in bytes; absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <summary>The request id of this answer (the document writes it camelCase).</summary>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";
}
