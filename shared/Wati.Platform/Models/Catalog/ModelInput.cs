using System.Globalization;
using System.Text.Json.Nodes;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Catalog;

/// <summary>The kind of one declared model input (issue 18, item 1).</summary>
public enum InputKind
{
    /// <summary>An image: a file part, an upload id (<c>upl_…</c>) or an https URL.</summary>
    Image,

    /// <summary>Free text, at most <see cref="ModelInput.MaxLength"/> characters.</summary>
    Text,

    /// <summary>A whole number within <see cref="ModelInput.Min"/>..<see cref="ModelInput.Max"/>.</summary>
    Integer,

    /// <summary>A finite number within <see cref="ModelInput.Min"/>..<see cref="ModelInput.Max"/>.</summary>
    Number,

    /// <summary>One of <see cref="ModelInput.Values"/> (case-insensitive, answered in its canonical spelling).</summary>
    Enum,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,
}

/// <summary>
/// One declared input of a model: what the form field accepts, its default and its limits. The same
/// declaration parses the request (<see cref="ModelSchema.ReadAsync"/>), writes the route's OpenAPI form
/// field (<see cref="ModelSchema.FormFields"/>) and the JSON Schema of <c>GET /v1/models</c>
/// (<see cref="ModelSchema.JsonSchema"/>), so the three cannot drift (issue 18).
/// </summary>
/// <param name="Name">The form field's name.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="Description">What it means, for the OpenAPI document and the JSON Schema.</param>
public sealed record ModelInput(string Name, InputKind Kind, string Description)
{
    /// <summary>Absent is refused ("{name} is required"). Images are always required.</summary>
    public bool Required { get; init; }

    /// <summary>The value when the field is absent (an int for integers, a string for enums).</summary>
    public object? Default { get; init; }

    /// <summary>Smallest accepted value (integers and numbers).</summary>
    public double? Min { get; init; }

    /// <summary>Largest accepted value (integers and numbers).</summary>
    public double? Max { get; init; }

    /// <summary>Integers only: the value must be a multiple of this.</summary>
    public int? MultipleOf { get; init; }

    /// <summary>Text only: the most characters accepted (1,000 when unset).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Enums only: the canonical values, listed in the schema.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>
    /// Enums only: further spellings accepted and named in the error's list (gfpgan's <c>v1.4</c>), which
    /// <see cref="Normalise"/> maps onto a canonical value. Not listed in the schema.
    /// </summary>
    public IReadOnlyList<string>? Accepted { get; init; }

    /// <summary>
    /// Enums only: spellings taken silently as a canonical value before the check (iclight's
    /// <c>jpeg</c> as <c>jpg</c>; compared case-insensitively).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Aliases { get; init; }

    /// <summary>Enums only: maps an accepted spelling onto the stored value (gfpgan: the leading <c>v</c> goes).</summary>
    public Func<string, string>? Normalise { get; init; }

    /// <summary>
    /// Text only: this field names, by id, an image the platform already stores (<see cref="StoredImage"/>),
    /// standing for the image input named here; exactly one of the two is given (issue 18, item 4:
    /// <c>portrait_id</c> for <c>portrait</c>). The resolved image is the job's input under that image's name.
    /// </summary>
    public string? ImageFor { get; init; }

    /// <summary>Where an <see cref="ImageFor"/> id is looked up.</summary>
    public StoredImageSource StoredImage { get; init; }

    /// <summary>The text limit used for <see cref="InputKind.Text"/>.</summary>
    public int TextLimit => MaxLength ?? 1000;

    /// <summary>
    /// Reads this (non-image) field from <paramref name="form"/> with the platform's form rules and
    /// messages (<see cref="UploadForm"/>); null when it is absent and has no default.
    /// </summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming the field.</exception>
    public JsonNode? Read(UploadForm form)
    {
        ArgumentNullException.ThrowIfNull(form);
        switch (Kind)
        {
            case InputKind.Text:
                return form.String(Name, TextLimit) is { } text ? JsonValue.Create(text)
                    : Required ? throw ApiException.Validation($"{Name} is required", new { field = Name })
                    : Default is string fallback ? JsonValue.Create(fallback) : null;
            case InputKind.Integer:
            {
                if (Absent(form)) return Default is null ? null : JsonValue.Create(Convert.ToInt32(Default, CultureInfo.InvariantCulture));
                var value = form.Int(Name, 0, ToInt(Min, int.MinValue), ToInt(Max, int.MaxValue));
                if (MultipleOf is { } step && value % step != 0)
                    throw ApiException.Validation($"{Name} must be a multiple of {step} from {Min} to {Max}", new { field = Name, value });
                return JsonValue.Create(value);
            }
            case InputKind.Number:
                if (Absent(form)) return Default is null ? null : JsonValue.Create(Convert.ToDouble(Default, CultureInfo.InvariantCulture));
                return JsonValue.Create(form.Double(Name, 0, Min ?? double.MinValue, Max ?? double.MaxValue));
            case InputKind.Enum:
            {
                if (Aliases is not null && form.String(Name, int.MaxValue) is { } raw &&
                    Aliases.FirstOrDefault(a => a.Key.Equals(raw, StringComparison.OrdinalIgnoreCase)) is { Key: not null } alias)
                    return JsonValue.Create(alias.Value);
                if (!Required && Default is null && Absent(form)) return null;
                var allowed = Accepted is null ? Values! : [.. Values!, .. Accepted];
                var chosen = form.OneOf(Name, Required ? null : Default as string, allowed);
                return JsonValue.Create(Normalise is null ? chosen : Normalise(chosen));
            }
            case InputKind.Bool:
            {
                if (Absent(form)) return Default is bool b ? JsonValue.Create(b) : null;
                return form.OneOf(Name, null, ["true", "false"]) == "true";
            }
            default:
                throw new InvalidOperationException($"{Name}: images are read by ModelSchema, not by ModelInput.Read");
        }
    }

    /// <summary>The OpenAPI form field of this input (<see cref="RouteDoc.Form"/>).</summary>
    public FormField ToFormField() => Kind switch
    {
        InputKind.Image => new FormField(Name, FieldKind.File,
            Description + "; or, as a text value, an upload id (upl_…) or an https URL (fetched through the SSRF guard)") { Required = true },
        InputKind.Text => new FormField(Name, FieldKind.String, Description) { Required = Required, MaxLength = MaxLength, Default = Default },
        InputKind.Integer => new FormField(Name, FieldKind.Integer, Description)
            { Required = Required, Min = Min, Max = Max, MultipleOf = MultipleOf, Default = Default },
        InputKind.Number => new FormField(Name, FieldKind.Number, Description) { Required = Required, Min = Min, Max = Max, Default = Default },
        InputKind.Enum => new FormField(Name, FieldKind.String, Description) { Required = Required, Enum = Values, Default = Default },
        _ => new FormField(Name, FieldKind.String, Description) { Required = Required, Enum = ["true", "false"], Default = Default?.ToString()?.ToLowerInvariant() },
    };

    /// <summary>This input as a JSON Schema property (the <c>input_schema</c> of <c>GET /v1/models</c>).</summary>
    public JsonObject ToJsonSchema()
    {
        var schema = new JsonObject
        {
            ["type"] = Kind switch
            {
                InputKind.Integer => "integer",
                InputKind.Number => "number",
                InputKind.Bool => "boolean",
                _ => "string",
            },
            ["description"] = Kind == InputKind.Image ? ToFormField().Description : Description,
        };
        if (Kind == InputKind.Image)
        {
            // A file part (binary), or as text an upload id or an https URL.
            schema["format"] = "binary";
            schema["contentMediaType"] = "image/jpeg, image/png or image/webp";
        }
        if (Min is { } min) schema["minimum"] = Kind == InputKind.Integer ? JsonValue.Create((long)min) : JsonValue.Create(min);
        if (Max is { } max) schema["maximum"] = Kind == InputKind.Integer ? JsonValue.Create((long)max) : JsonValue.Create(max);
        if (MultipleOf is { } step) schema["multipleOf"] = step;
        if (Kind == InputKind.Text && MaxLength is { } length) schema["maxLength"] = length;
        if (Kind == InputKind.Enum) schema["enum"] = new JsonArray([.. Values!.Select(v => (JsonNode)JsonValue.Create(v))]);
        if (Default is { } d)
            schema["default"] = d switch
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double n => JsonValue.Create(n),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(Convert.ToString(d, CultureInfo.InvariantCulture)),
            };
        return schema;
    }

    private bool Absent(UploadForm form) => form.String(Name, int.MaxValue) is null;

    private static int ToInt(double? value, int fallback) => value is { } v ? (int)Math.Clamp(v, int.MinValue, int.MaxValue) : fallback;
}
