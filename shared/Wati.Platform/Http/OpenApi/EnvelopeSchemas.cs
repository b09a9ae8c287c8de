using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Wati.Envelope;
using Wati.Platform.Jobs;

namespace Wati.Platform.Http.OpenApi;

/// <summary>
/// The envelope of design section 5 as reusable component schemas (<c>SuccessEnvelope</c>,
/// <c>SingleOutputEnvelope</c>, <c>MultipleOutputEnvelope</c>, <c>ListEnvelope</c>,
/// <c>ErrorEnvelope</c>), the common headers and parameters, and per-route compositions of them.
/// </summary>
internal sealed class EnvelopeSchemas(OpenApiDocument document, TypeSchemas types)
{
    public const string RequestIdHeader = "X-Request-Id";
    public const string CreditsHeader = "X-Credits-Charged";
    public const string RetryAfterHeader = "Retry-After";
    public const string LocationHeader = "Location";
    public const string WwwAuthenticateHeader = "WWW-Authenticate";

    public void Register()
    {
        var c = document.Components!;
        c.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        c.Schemas["ErrorEnvelope"] = Object(
            ("request_id", String("The request id, also the X-Request-Id header")),
            ("status", new OpenApiSchema { Type = JsonSchemaType.String, Const = "error" }),
            ("error", Object(
                ("message", String("Human-readable message")),
                ("code", new OpenApiSchema { Type = JsonSchemaType.String, Enum = Enum.GetValues<ErrorCode>().Select(e => (JsonNode)e.Wire()).ToList() }),
                ("details", new OpenApiSchema { Description = "Additional details: an object, a string or null" }))));
        c.Schemas["SuccessEnvelope"] = Object(
            ("request_id", String("The request id, also the X-Request-Id header")),
            ("status", new OpenApiSchema { Type = JsonSchemaType.String, Const = "success" }),
            ("data", new OpenApiSchema { Description = "The answer" }),
            ("meta", new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Metadata of the route", AdditionalProperties = new OpenApiSchema() }));
        c.Schemas["ListEnvelope"] = new OpenApiSchema
        {
            AllOf = [Ref("SuccessEnvelope"), Object(
                ("data", Object(("items", new OpenApiSchema { Type = JsonSchemaType.Array }))),
                ("pagination", types.Ref(typeof(Pagination))))],
        };
        c.Schemas["SingleOutputEnvelope"] = Compose("SuccessEnvelope", types.Ref(typeof(SingleOutputData)), null);
        c.Schemas["MultipleOutputEnvelope"] = Compose("SuccessEnvelope", types.Ref(typeof(MultipleOutputData)), null);

        c.Headers = new Dictionary<string, IOpenApiHeader>
        {
            [RequestIdHeader] = Header("The request id (also request_id in the body); a sane one sent by the client is kept", JsonSchemaType.String),
            [CreditsHeader] = Header("Credits this call costs (int64 as decimal)", JsonSchemaType.String),
            [RetryAfterHeader] = Header("Seconds to wait before retrying", JsonSchemaType.Integer),
            [LocationHeader] = Header("Absolute URL of the created resource or of the job to poll", JsonSchemaType.String),
            [WwwAuthenticateHeader] = Header("Bearer", JsonSchemaType.String),
        };
        c.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            ["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "Authorization: Bearer <access token or API key>",
            },
        };
    }

    /// <summary>A success envelope whose data is <paramref name="data"/> and meta <paramref name="meta"/>.</summary>
    public IOpenApiSchema Success(Type? data, Type? meta)
    {
        if (data == typeof(SingleOutputData) && meta is null) return Ref("SingleOutputEnvelope");
        if (data == typeof(MultipleOutputData) && meta is null) return Ref("MultipleOutputEnvelope");
        var basis = data == typeof(SingleOutputData) ? "SingleOutputEnvelope" : data == typeof(MultipleOutputData) ? "MultipleOutputEnvelope" : "SuccessEnvelope";
        return Compose(basis, data is null ? null : types.Ref(data), meta is null ? null : types.Ref(meta));
    }

    /// <summary>A paginated envelope of <paramref name="item"/>s.</summary>
    public IOpenApiSchema List(Type item, Type? meta) => new OpenApiSchema
    {
        AllOf = [Ref("ListEnvelope"), Object(("data", Object(("items", new OpenApiSchema { Type = JsonSchemaType.Array, Items = types.Ref(item) }))))],
    }.WithMeta(meta is null ? null : types.Ref(meta));

    /// <summary>An error envelope whose code is one of <paramref name="codes"/>.</summary>
    public IOpenApiSchema Error(IEnumerable<ErrorCode> codes) => new OpenApiSchema
    {
        AllOf = [Ref("ErrorEnvelope"), Object(("error", Object(("code", new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Enum = codes.Select(e => (JsonNode)e.Wire()).Distinct().ToList(),
        }))))],
    };

    public IOpenApiHeader HeaderRef(string name) => new OpenApiHeaderReference(name, document);

    private OpenApiSchemaReference Ref(string name) => new(name, document);

    private IOpenApiSchema Compose(string basis, IOpenApiSchema? data, IOpenApiSchema? meta)
    {
        var extra = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema>(), Required = new HashSet<string>() };
        if (data is not null) { extra.Properties["data"] = data; extra.Required.Add("data"); }
        if (meta is not null) { extra.Properties["meta"] = meta; extra.Required.Add("meta"); }
        return extra.Properties.Count == 0 ? Ref(basis) : new OpenApiSchema { AllOf = [Ref(basis), extra] };
    }

    private static OpenApiHeader Header(string description, JsonSchemaType type) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    private static OpenApiSchema String(string description) => new() { Type = JsonSchemaType.String, Description = description };

    /// <summary>An object whose listed properties are all required.</summary>
    public static OpenApiSchema Object(params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
        Required = new HashSet<string>(properties.Select(p => p.Name)),
    };
}

internal static class SchemaExtensions
{
    /// <summary>Adds <c>meta</c> of <paramref name="meta"/> to the composed envelope.</summary>
    public static OpenApiSchema WithMeta(this OpenApiSchema envelope, IOpenApiSchema? meta)
    {
        if (meta is not null)
            envelope.AllOf!.Add(EnvelopeSchemas.Object(("meta", meta)));
        return envelope;
    }
}
