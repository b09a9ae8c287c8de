using System.Text.Json;
using System.Text.Json.Nodes;
using Wati.Platform.Http;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// A model's declared inputs as one object that parses a request (<see cref="ReadAsync"/>), writes the
/// route's OpenAPI form (<see cref="FormFields"/>) and the JSON Schema listed by <c>GET /v1/models</c>
/// (<see cref="JsonSchema"/>) (issue 18, item 1).
/// </summary>
public sealed class ModelSchema
{
    /// <param name="inputs">In the order the form documents them; names unique.</param>
    /// <exception cref="ArgumentException">A name repeats, an enum has no values, or a minimum is over its maximum.</exception>
    public ModelSchema(IReadOnlyList<ModelInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.GroupBy(i => i.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"input '{twice.Key}' is declared twice", nameof(inputs));
        foreach (var input in inputs)
        {
            if (input.Kind == InputKind.Enum && input.Values is not { Count: > 0 })
                throw new ArgumentException($"enum input '{input.Name}' has no values", nameof(inputs));
            if (input.Min > input.Max)
                throw new ArgumentException($"input '{input.Name}' has a minimum over its maximum", nameof(inputs));
            if (input.ImageFor is { } image && (input.Kind != InputKind.Text || input.StoredImage == StoredImageSource.None ||
                                                !inputs.Any(i => i.Name == image && i.Kind == InputKind.Image)))
                throw new ArgumentException($"input '{input.Name}' names image '{image}' by id: it must be text with a stored-image source, " +
                                            "and the image an image input", nameof(inputs));
        }
        Inputs = inputs;
        ImageFields = [.. inputs.Where(i => i.Kind == InputKind.Image).Select(i => i.Name)];
        ImageIds = inputs.Where(i => i.ImageFor is not null).ToDictionary(i => i.ImageFor!, i => i, StringComparer.Ordinal);
    }

    /// <summary>Every input, in declared order.</summary>
    public IReadOnlyList<ModelInput> Inputs { get; }

    /// <summary>The image inputs' names, in declared order.</summary>
    public IReadOnlyList<string> ImageFields { get; }

    /// <summary>
    /// The images that may instead be named by the id of a stored image (<see cref="ModelInput.ImageFor"/>):
    /// image input name to its id input. Exactly one of the two is given.
    /// </summary>
    public IReadOnlyDictionary<string, ModelInput> ImageIds { get; }

    /// <summary>
    /// The request's values, each checked by its declaration in declared order, then every image
    /// (MISSING_FILES naming all absent ones): the order and messages the seed routes always answered.
    /// </summary>
    /// <remarks>
    /// An image that may be named by id (<see cref="ImageIds"/>) is read last: exactly one of the image and
    /// its id field must be given (else 400 VALIDATION_ERROR naming both in <c>details.fields</c>), and an id
    /// is looked up in its stored-image source (400 naming the id field when there is no such image).
    /// </remarks>
    /// <exception cref="Wati.Envelope.ApiException">400 VALIDATION_ERROR naming the field, MISSING_FILES, 413 or 415.</exception>
    public async Task<(ModelValues Values, IReadOnlyDictionary<string, Upload> Images)> ReadAsync(UploadForm form, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        var values = new JsonObject();
        foreach (var input in Inputs.Where(i => i.Kind != InputKind.Image))
            if (input.Read(form) is { } value) values[input.Name] = value;
        var required = await form.ImagesAsync(ct, [.. ImageFields.Where(f => !ImageIds.ContainsKey(f))]);
        if (ImageIds.Count == 0) return (new ModelValues(values), required);

        var images = new Dictionary<string, Upload>(required, StringComparer.Ordinal);
        foreach (var (image, id) in ImageIds)
        {
            var named = values.ContainsKey(id.Name);
            if (form.HasImage(image) == named)
                throw Wati.Envelope.ApiException.Validation(
                    named ? $"give either {image} or {id.Name}, not both" : $"{image} or {id.Name} is required",
                    new { fields = new[] { image, id.Name } });
            images[image] = named
                ? await form.StoredImageAsync(id.StoredImage, id.Name, image, ct)
                : (await form.ImagesAsync(ct, image))[image];
        }
        return (new ModelValues(values), images);
    }

    /// <summary>The OpenAPI form of the model's route, in declared order.</summary>
    public IReadOnlyList<FormField> FormFields() =>
        [.. Inputs.Select(i => ImageIds.ContainsKey(i.Name) ? i.ToFormField() with { Required = false } : i.ToFormField())];

    /// <summary>A JSON Schema object: <c>type</c> object, a property per input, <c>required</c>.</summary>
    public JsonObject JsonSchema()
    {
        var properties = new JsonObject();
        foreach (var input in Inputs) properties[input.Name] = input.ToJsonSchema();
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = new JsonArray([.. Inputs.Where(i => (i.Kind == InputKind.Image && !ImageIds.ContainsKey(i.Name)) || i.Required)
                .Select(i => (JsonNode)JsonValue.Create(i.Name))]),
        };
        // An image or the id of a stored one: exactly one of each pair (JSON Schema 2020-12, "oneOf").
        if (ImageIds.Count > 0)
            schema["allOf"] = new JsonArray([.. ImageIds.Select(p => (JsonNode)new JsonObject
            {
                ["oneOf"] = new JsonArray(
                    new JsonObject { ["required"] = new JsonArray(JsonValue.Create(p.Key)) },
                    new JsonObject { ["required"] = new JsonArray(JsonValue.Create(p.Value.Name)) }),
            })]);
        return schema;
    }
}

/// <summary>
/// A validated value bag: the model's non-image inputs by name, typed (numbers as JSON numbers). Code
/// models bind it to their parameter record; a definition built from settings keeps it as is. Values
/// are read by their JSON text, so an integer reads as a number too, whether parsed from a form or from
/// a stored job's <c>params</c>.
/// </summary>
public sealed record ModelValues(JsonObject Values) : ModelParameters
{
    /// <summary>An integer input's value (its default when it had one).</summary>
    /// <exception cref="InvalidOperationException">It is absent.</exception>
    public int Int(string name) => Get(name).Deserialize<int>();

    /// <summary>A number input's value.</summary>
    /// <exception cref="InvalidOperationException">It is absent.</exception>
    public double Double(string name) => Get(name).Deserialize<double>();

    /// <summary>A text or enum input's value.</summary>
    /// <exception cref="InvalidOperationException">It is absent.</exception>
    public string String(string name) => Get(name).Deserialize<string>()!;

    /// <summary>The value, or null when it is absent.</summary>
    public JsonNode? Find(string name) => Values.TryGetPropertyValue(name, out var value) ? value : null;

    private JsonNode Get(string name) => Find(name) ?? throw new InvalidOperationException($"input '{name}' has no value");
}
