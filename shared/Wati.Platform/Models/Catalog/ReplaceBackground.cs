using System.Text.Json;
using System.Text.Json.Nodes;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models;

/// <summary>
/// Put a foreground on a new background (design section 10): <c>POST /v1/replace-background</c> with
/// <c>fg</c> and <c>bg</c>; the output has <c>bg</c>'s size, and the meta only the common fields.
/// </summary>
public sealed class ReplaceBackground : ModelDefinition<BackgroundParameters>
{
    /// <inheritdoc />
    public override string Name => ModelNames.ReplaceBackground;

    /// <inheritdoc />
    public override string Route => "v1/replace-background";

    /// <inheritdoc />
    public override string? OperationId => "ReplaceBackground";

    /// <inheritdoc />
    public override string Description => "Put a foreground on a new background (the output has bg's size)";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; } =
    [
        new("fg", InputKind.Image, "The foreground (a person)"),
        new("bg", InputKind.Image, "The new background"),
    ];

    /// <inheritdoc />
    public override OutputKind OutputKind => OutputKind.Image;

    /// <inheritdoc />
    public override ModelPrice Price { get; } = new(2, PricePer.Call);

    /// <inheritdoc />
    public override ModelParameters Bind(ModelValues values) => new BackgroundParameters();

    /// <inheritdoc />
    public override ModelParameters FromJson(JsonElement json) => new BackgroundParameters();

    /// <summary><c>bg</c>'s size.</summary>
    protected override (long Width, long Height) OutputSize(BackgroundParameters p, IReadOnlyDictionary<string, Uploads.Upload> images) =>
        (images["bg"].Info.Width, images["bg"].Info.Height);

    /// <summary><c>replace-bg/{job}.{ext}</c> (the response-format document's layout).</summary>
    public override string OutputKey(JsonElement parameters, string jobId, int index, string extension) => $"replace-bg/{jobId}.{extension}";

    /// <inheritdoc />
    protected override IReadOnlyList<ModelOutput> RunLocal(BackgroundParameters p, LocalInputs inputs, LocalRun run) =>
        [BackgroundModel.Run(inputs["fg"], inputs["bg"], run)];

    /// <summary>No model in the design: FLUX Kontext's multi-image app (official, unpinned), driven by a fixed prompt.</summary>
    public override ReplicateModelOptions ReplicateDefaults() => new()
    {
        Model = "flux-kontext-apps/multi-image-kontext-pro",
        Inputs = new() { ["fg"] = "input_image_1", ["bg"] = "input_image_2", ["prompt"] = "prompt" },
        Prompt = "Place the subject of the first image into the scene of the second image, matching its light",
    };

    /// <summary>Only the configured prompt.</summary>
    protected override Dictionary<string, JsonNode?> ReplicateValues(BackgroundParameters p, ReplicateModelOptions mapping) =>
        mapping.Prompt is { } prompt ? new() { ["prompt"] = prompt } : [];
}

/// <summary>Images <c>fg</c> and <c>bg</c>; the output has <c>bg</c>'s size.</summary>
public sealed record BackgroundParameters : ModelParameters;
