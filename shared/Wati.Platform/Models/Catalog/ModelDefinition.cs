using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Wati.Envelope;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Catalog;

/// <summary>What a model produces (issue 18): one image, several images, a video or an audio clip. Written lower case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputKind>))]
public enum OutputKind
{
    /// <summary>One image: the single-output answer (<c>key</c>, <c>url</c>).</summary>
    [JsonStringEnumMemberName("image")] Image,

    /// <summary>Several images: the multiple-output answer (<c>outputs[{url,index}]</c>).</summary>
    [JsonStringEnumMemberName("images")] Images,

    /// <summary>One video: the single-output answer.</summary>
    [JsonStringEnumMemberName("video")] Video,

    /// <summary>One audio clip: the single-output answer.</summary>
    [JsonStringEnumMemberName("audio")] Audio,
}

/// <summary>What one unit of a model's price is. Written lower case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PricePer>))]
public enum PricePer
{
    /// <summary>Each call.</summary>
    [JsonStringEnumMemberName("call")] Call,

    /// <summary>Each output (<see cref="ModelDefinition.OutputCount"/>).</summary>
    [JsonStringEnumMemberName("output")] Output,

    /// <summary>Each second of output: the <c>duration_seconds</c> input.</summary>
    [JsonStringEnumMemberName("second")] Second,
}

/// <summary>A model's default price: <paramref name="Credits"/> per <paramref name="Per"/> (<c>Wati:Credits:Prices:{name}</c> overrides the credits).</summary>
public sealed record ModelPrice(long Credits, PricePer Per)
{
    /// <summary>The input that counts the seconds of a <see cref="PricePer.Second"/> price.</summary>
    public const string DurationInput = "duration_seconds";
}

/// <summary>
/// Everything about one model (issue 18, "one model, one file"): its name, route, queue, declared inputs
/// (<see cref="Schema"/>: parsing, the OpenAPI form and the JSON Schema), its output kind, size and keys,
/// its price rule, the <c>meta</c> it answers and its mapping to each provider. The
/// <see cref="ModelCatalog"/> holds the definitions and every consumer loops over it. A code model is
/// one file deriving from <see cref="ModelDefinition{TParameters}"/> plus a line in
/// <see cref="ModelCatalog.Code"/>; a model declared in settings derives from this class directly and
/// keeps its values as <see cref="ModelValues"/>.
/// </summary>
public abstract class ModelDefinition
{
    private ModelSchema? schema;

    /// <summary>The platform's model name (<c>jobs.model</c>, the price key, <c>/v1/models/{name}</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The route it is called at, without a leading slash; <c>v1/models/{name}</c> unless a model has its own.</summary>
    public virtual string Route => "v1/models/" + Name;

    /// <summary>The OpenAPI operation id of its own route; null when it has none (<see cref="Route"/> is the generic one).</summary>
    public virtual string? OperationId => null;

    /// <summary>The queue its jobs go to: code models <c>jobs-{name}</c>, models from settings share <see cref="ModelCatalog.SharedQueue"/>.</summary>
    public virtual string Queue => "jobs-" + Name;

    /// <summary>One line saying what it does (the route's summary).</summary>
    public abstract string Description { get; }

    /// <summary>The declared inputs, in the order the form documents them.</summary>
    public abstract IReadOnlyList<ModelInput> Inputs { get; }

    /// <summary>The inputs as one schema (built once).</summary>
    public ModelSchema Schema => schema ??= new ModelSchema(Inputs);

    /// <summary>What it produces.</summary>
    public abstract OutputKind OutputKind { get; }

    /// <summary>Its default price rule.</summary>
    public abstract ModelPrice Price { get; }

    /// <summary>The type of its answers' <c>meta</c> (for the OpenAPI document).</summary>
    public virtual Type MetaType => typeof(JobMeta);

    /// <summary>The type of its waited answer's <c>data</c>: several outputs for <see cref="OutputKind.Images"/>, else one.</summary>
    public Type DataType => OutputKind == OutputKind.Images ? typeof(MultipleOutputData) : typeof(SingleOutputData);

    /// <summary>The typed parameters of a request's validated <paramref name="values"/>.</summary>
    public abstract ModelParameters Bind(ModelValues values);

    /// <summary>The stored <c>params</c> of a job back as parameters.</summary>
    public abstract ModelParameters FromJson(JsonElement json);

    /// <summary>The parameters as stored in the job's <c>params</c> (and answered in the job view).</summary>
    public virtual JsonElement ToJson(ModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters is ModelValues bag
            ? JsonSerializer.SerializeToElement(bag.Values, WatiJson.Options)
            : JsonSerializer.SerializeToElement(parameters, parameters.GetType(), WatiJson.Options);
    }

    /// <summary>How many outputs a call makes (priced per output when <see cref="Price"/> says so).</summary>
    public virtual int OutputCount(ModelParameters parameters) => 1;

    /// <summary>The price units of a call: 1, <see cref="OutputCount"/>, or the seconds of <see cref="ModelPrice.DurationInput"/>.</summary>
    public long Units(ModelParameters parameters) => Price.Per switch
    {
        PricePer.Output => OutputCount(parameters),
        PricePer.Second => DurationOf(parameters),
        _ => 1,
    };

    /// <summary>Seconds of output a call asks for, for a <see cref="PricePer.Second"/> price; a code model with its own record overrides it.</summary>
    protected virtual long DurationOf(ModelParameters parameters) =>
        parameters is ModelValues bag && bag.Find(ModelPrice.DurationInput) is not null
            ? (long)Math.Ceiling(bag.Double(ModelPrice.DurationInput))
            : throw new InvalidOperationException($"model '{Name}' is priced per second but has no {ModelPrice.DurationInput}");

    /// <summary>
    /// Size of one output in pixels (as viewers show it), checked against the output limits before
    /// anything is charged; by default the largest input image's (0x0 when the model has none).
    /// </summary>
    public virtual (long Width, long Height) OutputSize(ModelParameters parameters, IReadOnlyDictionary<string, Upload> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Values.Select(i => ((long)i.Info.Width, (long)i.Info.Height)).DefaultIfEmpty((0L, 0L)).MaxBy(s => s.Item1 * s.Item2);
    }

    /// <summary>Where output <paramref name="index"/> of job <paramref name="jobId"/> is stored; by default <c>models/{name}/{job}-{index}.{ext}</c>.</summary>
    public virtual string OutputKey(JsonElement parameters, string jobId, int index, string extension) =>
        $"models/{Name}/{jobId}-{index}.{extension}";

    /// <summary>
    /// The <c>meta</c> of a job of this model: the <paramref name="common"/> fields and its own (the
    /// response-format document's examples for the seed models).
    /// </summary>
    /// <param name="bytes">Stored size of the first output, null until it succeeded.</param>
    public virtual JobMeta Meta(JobMeta common, JobRecord job, ModelParameters parameters, int? bytes, string requestId) => common;

    /// <summary>The local provider's run (libvips stand-ins, embedded default).</summary>
    /// <exception cref="ModelException">The input or parameters are not this model's.</exception>
    public abstract IReadOnlyList<ModelOutput> RunLocal(ModelParameters parameters, LocalInputs inputs, LocalRun run);

    /// <summary>The Replicate model run by default, with our input names mapped onto its own; null when it has none.</summary>
    public virtual ReplicateModelOptions? ReplicateDefaults() => null;

    /// <summary>
    /// Our non-image values by our names, typed as the Replicate model expects, before renaming through
    /// <paramref name="mapping"/> (the configured <c>Wati:Models:Replicate:Models:{name}</c>, defaults merged).
    /// </summary>
    public virtual Dictionary<string, JsonNode?> ReplicateValues(ModelParameters parameters, ReplicateModelOptions mapping)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters is ModelValues bag
            ? bag.Values.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal)
            : throw new ModelException($"the replicate provider cannot run parameters of type {parameters.GetType().Name}");
    }
}

/// <summary>A code-defined model whose parameters are the record <typeparamref name="TParameters"/>, defined in its file.</summary>
public abstract class ModelDefinition<TParameters> : ModelDefinition where TParameters : ModelParameters
{
    /// <inheritdoc />
    public override ModelParameters FromJson(JsonElement json) => json.Deserialize<TParameters>(WatiJson.Options)!;

    /// <inheritdoc />
    public sealed override int OutputCount(ModelParameters parameters) => parameters is TParameters p ? OutputCount(p) : 1;

    /// <summary>How many outputs a call with <paramref name="parameters"/> makes (1 unless overridden).</summary>
    protected virtual int OutputCount(TParameters parameters) => 1;

    /// <inheritdoc />
    public sealed override (long Width, long Height) OutputSize(ModelParameters parameters, IReadOnlyDictionary<string, Upload> images) =>
        parameters is TParameters p ? OutputSize(p, images) : base.OutputSize(parameters, images);

    /// <summary>Size of one output for <paramref name="parameters"/>; the largest input's unless overridden.</summary>
    protected virtual (long Width, long Height) OutputSize(TParameters parameters, IReadOnlyDictionary<string, Upload> images) =>
        base.OutputSize(parameters, images);

    /// <inheritdoc />
    public sealed override JobMeta Meta(JobMeta common, JobRecord job, ModelParameters parameters, int? bytes, string requestId) =>
        parameters is TParameters p ? Meta(common, job, p, bytes, requestId) : common;

    /// <summary>The model's own meta fields for <paramref name="parameters"/>; just <paramref name="common"/> unless overridden.</summary>
    protected virtual JobMeta Meta(JobMeta common, JobRecord job, TParameters parameters, int? bytes, string requestId) => common;

    /// <inheritdoc />
    public sealed override IReadOnlyList<ModelOutput> RunLocal(ModelParameters parameters, LocalInputs inputs, LocalRun run) =>
        parameters is TParameters p ? RunLocal(p, inputs, run) : throw Unsupported(parameters);

    /// <summary>The local run with this model's parameters.</summary>
    protected abstract IReadOnlyList<ModelOutput> RunLocal(TParameters parameters, LocalInputs inputs, LocalRun run);

    /// <inheritdoc />
    public sealed override Dictionary<string, JsonNode?> ReplicateValues(ModelParameters parameters, ReplicateModelOptions mapping) =>
        parameters is TParameters p ? ReplicateValues(p, mapping) : base.ReplicateValues(parameters, mapping);

    /// <summary>Our values for Replicate (none unless overridden).</summary>
    protected virtual Dictionary<string, JsonNode?> ReplicateValues(TParameters parameters, ReplicateModelOptions mapping) => [];

    private ModelException Unsupported(ModelParameters parameters) =>
        new($"model '{Name}' with {parameters.GetType().Name} is not supported", isInputError: true);
}
