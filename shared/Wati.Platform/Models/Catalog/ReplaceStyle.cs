using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models;

/// <summary>Restyle a photo (design section 10): <c>POST /v1/replace-style</c> with <c>image</c> and <c>style</c>.</summary>
public sealed class ReplaceStyle : ModelDefinition<StyleParameters>
{
    /// <inheritdoc />
    public override string Name => ModelNames.ReplaceStyle;

    /// <inheritdoc />
    public override string Route => "v1/replace-style";

    /// <inheritdoc />
    public override string? OperationId => "ReplaceStyle";

    /// <inheritdoc />
    public override string Description => "Restyle a photo";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; } =
    [
        new("image", InputKind.Image, "The photo"),
        new("style", InputKind.Enum, "The style") { Required = true, Values = Styles.All },
    ];

    /// <inheritdoc />
    public override OutputKind OutputKind => OutputKind.Image;

    /// <inheritdoc />
    public override ModelPrice Price { get; } = new(2, PricePer.Call);

    /// <inheritdoc />
    public override Type MetaType => typeof(StyleMeta);

    /// <inheritdoc />
    public override ModelParameters Bind(ModelValues values) => new StyleParameters(values.String("style"));

    /// <summary><c>styles/{style}/{job}.{ext}</c> (the response-format document's layout).</summary>
    public override string OutputKey(JsonElement parameters, string jobId, int index, string extension) =>
        $"styles/{parameters.GetProperty("style").GetString()}/{jobId}.{extension}";

    /// <inheritdoc />
    protected override JobMeta Meta(JobMeta common, JobRecord job, StyleParameters p, int? bytes, string requestId) =>
        new StyleMeta(common) { Style = p.Style, Bytes = bytes, RequestId = requestId };

    /// <inheritdoc />
    protected override IReadOnlyList<ModelOutput> RunLocal(StyleParameters p, LocalInputs inputs, LocalRun run) =>
        [StyleModel.Run(inputs["image"], p, run)];

    /// <summary>No model in the design: Black Forest Labs' FLUX Kontext Pro (official, unpinned), driven by a prompt.</summary>
    public override ReplicateModelOptions ReplicateDefaults() => new()
    {
        Model = "black-forest-labs/flux-kontext-pro",
        Inputs = new() { ["image"] = "input_image", ["prompt"] = "prompt" },
        Prompt = "Restyle this image in a {style} style; keep the subject, pose and composition",
    };

    /// <summary>The style, and the prompt with <c>{style}</c> filled in.</summary>
    protected override Dictionary<string, JsonNode?> ReplicateValues(StyleParameters p, ReplicateModelOptions mapping) => new()
    {
        ["style"] = p.Style,
        ["prompt"] = (mapping.Prompt ?? "{style}").Replace("{style}", p.Style, StringComparison.Ordinal),
    };
}

/// <summary><paramref name="Style"/> one of <see cref="Styles.All"/>.</summary>
public sealed record StyleParameters(string Style) : ModelParameters;

/// <summary>The styles replace-style offers.</summary>
public static class Styles
{
    /// <summary>Every style, as the route accepts and answers it.</summary>
    public static readonly IReadOnlyList<string> All = ["anime", "sketch", "vintage", "noir", "watercolor", "pop-art"];
}

/// <summary>replace-style's meta: <c>style</c>, <c>bytes</c> of the output, <c>requestId</c>.</summary>
public sealed record StyleMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal StyleMeta(JobMeta common) : base(common) { }

    /// <summary>One of <see cref="Styles.All"/>.</summary>
    public required string Style { get; init; } = "";

    /// <inheritdoc cref="GfpganMeta.Bytes"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <inheritdoc cref="GfpganMeta.RequestId"/>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";
}
