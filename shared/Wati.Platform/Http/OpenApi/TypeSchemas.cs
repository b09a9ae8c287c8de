using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Wati.Envelope;

namespace Wati.Platform.Http.OpenApi;

/// <summary>
/// Component schemas derived from C# types with System.Text.Json's schema exporter under the
/// platform's JSON options (<see cref="WatiJson"/>), so the document says what the serializer writes.
/// The exporter cannot see through custom converters; those are filled in here: int64 is a decimal
/// string (<c>format: int64</c>; requests also take a number), times are RFC 3339 <c>date-time</c>.
/// </summary>
internal sealed class TypeSchemas(OpenApiDocument document)
{
    private readonly Dictionary<string, Type> _named = new(StringComparer.Ordinal);

    private static readonly JsonSchemaExporterOptions ResponseExport = Exporter(request: false);
    private static readonly JsonSchemaExporterOptions RequestExport = Exporter(request: true);

    /// <summary>A reference to the component schema of <paramref name="type"/>, adding it on first use.</summary>
    /// <param name="request">Request types: int64 fields accept a number or a numeric string (seed 000).</param>
    public IOpenApiSchema Ref(Type type, bool request = false)
    {
        var name = NameOf(type);
        if (_named.TryGetValue(name, out var existing))
        {
            if (existing != type) throw new InvalidOperationException($"two schema types are named {name}: {existing} and {type}");
            return new OpenApiSchemaReference(name, document);
        }
        _named[name] = type;
        document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[name] = Parse(Export(type, request));
        return new OpenApiSchemaReference(name, document);
    }

    /// <summary><c>ItemList&lt;PriceDto&gt;</c> → <c>ItemListOfPriceDto</c>.</summary>
    private static string NameOf(Type type) => type.IsGenericType
        ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + "Of" + string.Join("And", type.GetGenericArguments().Select(NameOf))
        : type.Name;

    /// <summary>The JSON schema of <paramref name="type"/> as the serializer reads or writes it.</summary>
    public static JsonNode Export(Type type, bool request) =>
        WatiJson.Options.GetJsonSchemaAsNode(type, request ? RequestExport : ResponseExport);

    /// <summary>A JSON schema (2020-12, as OpenAPI 3.1 uses it) in the OpenAPI object model.</summary>
    public OpenApiSchema Parse(JsonNode schema)
    {
        var schemaJson = schema.ToJsonString();
        var parsed = OpenApiModelFactory.Parse<OpenApiSchema>(schemaJson, OpenApiSpecVersion.OpenApi3_1, document,
            out var diagnostic, "json");
        if (parsed is null || diagnostic?.Errors.Count > 0)
            throw new InvalidOperationException("schema did not parse: " + string.Join("; ", diagnostic?.Errors.Select(e => e.Message) ?? []));
        return parsed;
    }

    private static JsonSchemaExporterOptions Exporter(bool request) => new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, node) =>
        {
            // A property's [Description] (limits, defaults) becomes its schema's description.
            if (context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), false)
                    .FirstOrDefault() is System.ComponentModel.DescriptionAttribute described && node is JsonObject describedNode)
                describedNode["description"] = described.Description;
            var type = context.TypeInfo.Type;
            var nullable = Nullable.GetUnderlyingType(type) is not null;
            var core = Nullable.GetUnderlyingType(type) ?? type;
            JsonObject? replacement = null;
            if (core == typeof(long))
            {
                replacement = request
                    ? new JsonObject { ["type"] = Types(nullable, "string", "integer"), ["format"] = "int64", ["pattern"] = "^-?[0-9]+$",
                        ["description"] = "int64: a number or a decimal string" }
                    : new JsonObject { ["type"] = Types(nullable, "string"), ["format"] = "int64", ["pattern"] = "^-?[0-9]+$",
                        ["description"] = "int64 as a decimal string" };
            }
            else if (core == typeof(DateTimeOffset))
            {
                replacement = new JsonObject { ["type"] = Types(nullable, "string"), ["format"] = "date-time" };
            }
            // The OpenAPI object model has no boolean schemas: "true" (any value, e.g. a JsonElement) becomes {}.
            if (replacement is null) return node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.True ? new JsonObject() : node;
            if (node is JsonObject original && original["description"] is { } description)
                replacement["description"] = description.DeepClone();
            return replacement;
        },
    };

    private static JsonNode Types(bool nullable, params string[] types)
    {
        if (!nullable && types.Length == 1) return JsonValue.Create(types[0]);
        var array = new JsonArray();
        foreach (var t in types) array.Add(t);
        if (nullable) array.Add("null");
        return array;
    }
}
