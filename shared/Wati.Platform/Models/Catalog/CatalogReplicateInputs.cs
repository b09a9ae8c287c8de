using System.Globalization;
using System.Text.Json.Nodes;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// The <c>input</c> object a settings-declared model sends to Replicate (issue 18, item 3): for each
/// <c>Replicate:Inputs:{theirField}</c>, a value that equals one of the model's input names sends that input under
/// <c>theirField</c>, typed by its kind (integers and numbers as JSON numbers, bools as JSON booleans, text and enums
/// as strings, images as the caller made them: data URIs or file URLs); any other value is a fixed literal, sent as a
/// JSON number or boolean when it parses as one in the invariant culture, else as a string.
/// </summary>
public static class CatalogReplicateInputs
{
    /// <summary>
    /// Builds the input. An input the call did not give is sent with its <c>Default</c> when it has one, else left
    /// out (Replicate then uses its own default).
    /// </summary>
    /// <param name="model">A declaration without <see cref="CatalogSettings.Problems"/>.</param>
    /// <param name="values">The call's non-image values by field, as validated strings (form values are strings).</param>
    /// <param name="images">The call's image inputs by field, already as the JSON Replicate takes (a data URI or a file URL).</param>
    /// <exception cref="FormatException">A value does not parse as its input's kind (the caller validates first).</exception>
    public static JsonObject Build(CatalogModelSettings model, IReadOnlyDictionary<string, string> values,
        IReadOnlyDictionary<string, JsonNode> images)
    {
        var input = new JsonObject();
        foreach (var (theirs, value) in model.Replicate.Inputs)
        {
            if (model.Input(value) is not { } field)
            {
                input[theirs] = Literal(value);
                continue;
            }
            if (field.KindName == "image")
            {
                if (Find(images, field.Field) is { } image) input[theirs] = image.DeepClone();
                continue;
            }
            var raw = Find(values, field.Field) ?? field.Default;
            if (raw is not null) input[theirs] = Typed(field, raw);
        }
        return input;
    }

    /// <summary>A literal as sent: a JSON number when it parses as a decimal number (invariant culture, e.g. <c>0.5</c>,
    /// <c>20</c>, <c>1e3</c>), a JSON boolean for <c>true</c>/<c>false</c> (any case), else the string itself.</summary>
    public static JsonNode Literal(string value) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number)
        : bool.TryParse(value, out var flag) ? JsonValue.Create(flag)
        : JsonValue.Create(value);

    /// <summary>A non-image input's value typed by its kind: <c>integer</c> a JSON integer, <c>number</c> a JSON number,
    /// <c>bool</c> a JSON boolean, <c>text</c> and <c>enum</c> a string.</summary>
    /// <exception cref="FormatException"><paramref name="raw"/> does not parse as the kind.</exception>
    /// <exception cref="ArgumentException">An image input (images travel as files, see <see cref="Build"/>).</exception>
    public static JsonNode Typed(CatalogInputSettings input, string raw) => input.KindName switch
    {
        "integer" => JsonValue.Create(CatalogNumbers.Integer(raw) ?? throw new FormatException($"{input.Field}: '{raw}' is not an integer")),
        "number" => JsonValue.Create(CatalogNumbers.Decimal(raw) ?? throw new FormatException($"{input.Field}: '{raw}' is not a number")),
        "bool" => JsonValue.Create(bool.TryParse(raw, out var b) ? b : throw new FormatException($"{input.Field}: '{raw}' is not true or false")),
        "text" or "enum" => JsonValue.Create(raw),
        _ => throw new ArgumentException($"{input.Field} is a {input.KindName} input, not a value", nameof(input)),
    };

    // Field names are case-insensitive, as configuration keys are.
    private static T? Find<T>(IReadOnlyDictionary<string, T> byField, string field) where T : class =>
        byField.TryGetValue(field, out var v) ? v : byField.FirstOrDefault(p => p.Key.Equals(field, StringComparison.OrdinalIgnoreCase)).Value;
}
