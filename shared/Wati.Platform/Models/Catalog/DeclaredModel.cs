using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// A model declared in settings, no code (issue 18, item 3): one <c>Wati:Models:Catalog:{name}</c> entry
/// (<see cref="CatalogModelSettings"/>, free of <see cref="CatalogSettings.Problems"/>) as a catalogue
/// definition. Its values stay the validated bag <see cref="ModelValues"/>; it shares
/// <see cref="ModelCatalog.SharedQueue"/>; locally it runs the stand-in for its output kind; on Replicate its
/// <c>Replicate:Inputs</c> become the same rename table (and fixed literals) the code models use, so
/// <see cref="ReplicateInputs"/> builds its input as it builds theirs.
/// </summary>
public sealed class DeclaredModel : ModelDefinition
{
    /// <summary>The seconds of a local <c>video</c> when the model has no <c>duration_seconds</c> input.</summary>
    public const int DefaultVideoSeconds = 5;

    private readonly CatalogModelSettings settings;

    /// <param name="settings">A declaration without problems (<see cref="CatalogSettings.Problems"/> empty).</param>
    public DeclaredModel(CatalogModelSettings settings)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        Inputs = [.. settings.Inputs.Select(ToInput)];
        OutputKind = settings.Output.KindName switch
        {
            "images" => OutputKind.Images,
            "video" => OutputKind.Video,
            "audio" => OutputKind.Audio,
            _ => OutputKind.Image,
        };
        Price = new ModelPrice(settings.Price.CreditsValue ?? 0, settings.Price.PerName == "output" ? PricePer.Output : PricePer.Call);
        CountFrom = OutputKind == OutputKind.Images ? settings.Input(settings.Output.CountFrom!)?.Field : null;
    }

    /// <inheritdoc />
    public override string Name => settings.Name;

    /// <inheritdoc />
    public override string Route => settings.Route;

    /// <inheritdoc />
    public override string Queue => ModelCatalog.SharedQueue;

    /// <inheritdoc />
    public override string Description => settings.Description.Length > 0 ? settings.Description : $"{Name} (declared in settings)";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInput> Inputs { get; }

    /// <inheritdoc />
    public override OutputKind OutputKind { get; }

    /// <inheritdoc />
    public override ModelPrice Price { get; }

    /// <inheritdoc />
    public override Type MetaType => typeof(DeclaredMeta);

    /// <summary>The integer input that sets how many images a call makes (<c>Output:CountFrom</c>); null unless the output is <c>images</c>.</summary>
    public string? CountFrom { get; }

    /// <summary><c>Declared{PascalName}</c> when the model has its own route (documented and named by it); null on the generic route.</summary>
    public override string? OperationId => HasOwnRoute
        ? "Declared" + string.Concat(Name.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]))
        : null;

    /// <summary>Whether <see cref="Route"/> is the model's own path rather than the generic <c>v1/models/{name}</c>.</summary>
    public bool HasOwnRoute => !string.Equals(Route, "v1/models/" + Name, StringComparison.Ordinal);

    /// <summary>The values as they are: the bag is the parameters.</summary>
    public override ModelParameters Bind(ModelValues values) => values;

    /// <inheritdoc />
    public override ModelParameters FromJson(JsonElement json) => new ModelValues(JsonNode.Parse(json.GetRawText())?.AsObject() ?? []);

    /// <summary>The <see cref="CountFrom"/> input's value for an <c>images</c> model (1 when the call left it out and it has no default); else 1.</summary>
    public override int OutputCount(ModelParameters parameters) =>
        CountFrom is not null && parameters is ModelValues bag && bag.Find(CountFrom) is not null ? bag.Int(CountFrom) : 1;

    /// <summary>The common fields, <c>model</c> as what ran it (<c>owner/name:version</c> on Replicate, <c>local/{name}</c>), and
    /// <c>replicate_prediction_id</c> when Replicate ran it.</summary>
    public override JobMeta Meta(JobMeta common, JobRecord job, ModelParameters parameters, int? bytes, string requestId)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new DeclaredMeta(common)
        {
            Model = job.ModelId ?? job.Model, Bytes = bytes, RequestId = requestId, ReplicatePredictionId = job.PredictionId,
        };
    }

    /// <summary>
    /// The stand-in for the output kind: <c>image</c> an image derived from the first image input, <c>images</c>
    /// <see cref="OutputCount"/> of them (each different), <c>video</c> an animated WebP zoom over it
    /// (<c>duration_seconds</c> long when the model has that input, else <see cref="DefaultVideoSeconds"/>), <c>audio</c>
    /// a short WAV tone. A model without an image input starts from a gradient drawn from its values.
    /// </summary>
    public override IReadOnlyList<ModelOutput> RunLocal(ModelParameters parameters, LocalInputs inputs, LocalRun run)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(run);
        var bag = parameters as ModelValues ?? throw new ModelException($"model '{Name}' runs on its values, not {parameters.GetType().Name}", isInputError: true);
        var first = Schema.ImageFields.Count > 0 ? inputs[Schema.ImageFields[0]] : null;
        var seed = string.Join(';', bag.Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value?.ToJsonString()}"));
        switch (OutputKind)
        {
            case OutputKind.Video:
                var source = first ?? LocalDerivedImage.Run(null, 0, seed, run).Bytes;
                var seconds = bag.Find(ModelPrice.DurationInput) is not null ? (int)Math.Ceiling(bag.Double(ModelPrice.DurationInput)) : DefaultVideoSeconds;
                return [LocalVideo.ZoomWebP(source, seconds, run.Token, limits: run.Limits).ToOutput()];
            case OutputKind.Audio:
                return [LocalAudio.ToOutput(LocalAudio.ToneWav(seed))];
            default:
                return [.. Enumerable.Range(0, OutputCount(bag)).Select(i => LocalDerivedImage.Run(first, i, seed, run))];
        }
    }

    /// <summary>
    /// <c>Replicate:Model</c> (<c>owner/name</c>, or <c>owner/name:version</c> split into the version), each
    /// <c>Replicate:Inputs:{theirs}</c> that names one of our inputs as the rename ours → theirs, and every
    /// other value as a <see cref="ReplicateModelOptions.Literals"/> entry.
    /// </summary>
    public override ReplicateModelOptions ReplicateDefaults()
    {
        var options = new ReplicateModelOptions { Model = settings.Replicate.ModelName, Version = settings.Replicate.Version };
        foreach (var (theirs, value) in settings.Replicate.Inputs)
        {
            if (settings.Input(value) is { } ours) options.Inputs[ours.Field] = theirs;
            else options.Literals[theirs] = value;
        }
        return options;
    }

    /// <summary>Our values by our names, typed by their kind (<see cref="CatalogReplicateInputs.Typed"/>), defaults included.</summary>
    public override Dictionary<string, JsonNode?> ReplicateValues(ModelParameters parameters, ReplicateModelOptions mapping)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var bag = parameters as ModelValues ?? throw new ModelException($"model '{Name}' runs on its values, not {parameters.GetType().Name}");
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var input in settings.Inputs.Where(i => i.KindName != "image"))
            if (bag.Find(input.Field) is { } value)
                values[input.Field] = CatalogReplicateInputs.Typed(input, value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                    : value.ToJsonString());
        return values;
    }

    /// <summary>One declared input as the catalogue's <see cref="ModelInput"/>, limits and default typed by its kind.</summary>
    private static ModelInput ToInput(CatalogInputSettings i)
    {
        var kind = i.KindName switch
        {
            "image" => InputKind.Image,
            "text" => InputKind.Text,
            "integer" => InputKind.Integer,
            "number" => InputKind.Number,
            "enum" => InputKind.Enum,
            _ => InputKind.Bool,
        };
        object? fallback = i.Default is not { } d ? null : kind switch
        {
            InputKind.Integer => (int)CatalogNumbers.Integer(d)!.Value,
            InputKind.Number => (double)CatalogNumbers.Decimal(d)!.Value,
            InputKind.Bool => bool.Parse(d),
            _ => d,
        };
        return new ModelInput(i.Field, kind, Describe(i, kind))
        {
            Required = i.IsRequired,
            Default = fallback,
            Min = i.MinValue is { } min ? (double)min : null,
            Max = i.MaxValue is { } max ? (double)max : null,
            MaxLength = kind == InputKind.Text ? i.MaxLengthValue : null,
            Values = kind == InputKind.Enum ? i.ValueList : null,
        };
    }

    private static string Describe(CatalogInputSettings i, InputKind kind) => kind switch
    {
        InputKind.Image => $"{i.Field}: an image",
        InputKind.Integer or InputKind.Number => string.Create(CultureInfo.InvariantCulture,
            $"{i.Field}: {(kind == InputKind.Integer ? "a whole number" : "a number")}{(i.Min ?? i.Max) switch { null => "", _ => $" from {i.Min ?? "any"} to {i.Max ?? "any"}" }}"),
        InputKind.Enum => $"{i.Field}: one of {string.Join(", ", i.ValueList)}",
        InputKind.Text => $"{i.Field}: text",
        _ => $"{i.Field}: true or false",
    };
}

/// <summary>
/// A settings-declared model's meta: the common fields with <c>model</c> as what ran it, <c>bytes</c> of the
/// first output, <c>requestId</c> (as the seed models write it) and <c>replicate_prediction_id</c> when Replicate ran it.
/// </summary>
public sealed record DeclaredMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal DeclaredMeta(JobMeta common) : base(common) { }

    /// <summary>Stored size of the first output in bytes; absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <summary>The request id of this answer.</summary>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";

    /// <summary>Replicate's prediction id; absent when another provider ran it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReplicatePredictionId { get; init; }
}
