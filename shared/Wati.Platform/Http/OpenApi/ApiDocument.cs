using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Wati.Envelope;

namespace Wati.Platform.Http.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document of the platform, built from the shared route table (<see cref="RouteDoc"/>
/// on each <see cref="RouteDef"/>), so both hosts serve the same one and no route goes undescribed.
/// Envelopes (single, multiple outputs, paginated, error) are reusable schemas; data and meta schemas
/// come from the C# types (<see cref="TypeSchemas"/>).
/// </summary>
public static class ApiDocument
{
    public const string Path = "openapi/v1.json";
    private const string Bearer = "bearer";

    private static readonly Lazy<string> Cached = new(() => Serialize(Build(RouteTable.All)));

    /// <summary>The document as JSON, built once per process.</summary>
    public static string Json => Cached.Value;

    /// <summary>
    /// The document with <paramref name="extra"/> routes beside the table's (the own routes of models declared in
    /// settings, <see cref="Models.Catalog.DeclaredRoutes"/>); <see cref="Json"/> when there are none.
    /// </summary>
    public static string JsonWith(IReadOnlyList<RouteDef> extra) =>
        extra is not { Count: > 0 } ? Json : Serialize(Build(RouteTable.All.Concat(extra)));

    /// <summary>Builds the document of <paramref name="routes"/>.</summary>
    /// <exception cref="InvalidOperationException">A route has no <see cref="RouteDef.Doc"/>, or two schema types share a name.</exception>
    public static OpenApiDocument Build(IEnumerable<RouteDef> routes)
    {
        var document = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = "WATI AIGC API",
                Version = "1.0.0",
                Summary = "Pay-per-call AI image models behind one JSON envelope",
                Description = "Every answer is one envelope (success: data + meta, lists: + pagination, errors: error{message,code,details}); " +
                              "JSON is snake_case, int64 values are decimal strings (requests take a number or a string), times are RFC 3339 UTC, " +
                              "and a missing request field takes its type's default.",
                License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
            },
            Servers = [new OpenApiServer { Url = "/", Description = "this host" }],
            Components = new OpenApiComponents(),
            Paths = new OpenApiPaths(),
        };
        var schemas = new TypeSchemas(document);
        var parts = new EnvelopeSchemas(document, schemas);
        parts.Register();

        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var group in routes.GroupBy(r => PathOf(r.Template)))
        {
            var item = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation>() };
            foreach (var route in group)
            {
                var doc = route.Doc ?? throw new InvalidOperationException($"route {route.Name} has no Doc: describe it for the OpenAPI document");
                var tag = TagOf(route.Template);
                tags.Add(tag);
                item.Operations[HttpMethod.Parse(route.Method)] = Operations.Build(route, doc, tag, document, schemas, parts);
            }
            document.Paths[group.Key] = item;
        }
        document.Tags = new HashSet<OpenApiTag>(tags.Select(t => new OpenApiTag { Name = t, Description = TagDescription(t) }));
        return document;
    }

    public static string Serialize(OpenApiDocument document)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        document.SerializeAsV31(new OpenApiJsonWriter(text));
        // Normalised through System.Text.Json so the text is stable (indented, LF) for the committed copy.
        return JsonNode.Parse(text.ToString())!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary><c>v1/jobs/{id}</c> → <c>/v1/jobs/{id}</c>; a catch-all <c>{**key}</c> becomes <c>{key}</c>.</summary>
    public static string PathOf(string template) => "/" + template.Replace("{**", "{", StringComparison.Ordinal);

    private static string TagOf(string template)
    {
        var segments = template.Split('/');
        var feature = segments[0] == "v1" && segments.Length > 1 ? segments[1] : segments[0];
        return feature switch
        {
            "auth" or "api-keys" => "auth",
            "credits" or "prices" => "credits",
            "gfpgan" or "replace-style" or "replace-background" or "portraits" when template != "v1/portraits" => "models",
            "jobs" => "jobs",
            "manifest" or "portraits" => "catalog",
            "admin" => segments.Length > 2 && segments[2] is "credits" or "metrics" ? segments[2] : "catalog",
            "healthz" or "readyz" => "health",
            "openapi" or "docs" => "contract",
            _ => feature,
        };
    }

    private static string TagDescription(string tag) => tag switch
    {
        "auth" => "Sign-up, log-in and API keys",
        "users" => "The caller's profile",
        "credits" => "Balance, ledger, prices and admin grants",
        "models" => "The four model calls: charged, queued, run; waited for by default",
        "jobs" => "Jobs of the model calls: poll, list, cancel or delete",
        "catalog" => "The public catalogue of asset packs and portraits",
        "files" => "Signed downloads of the embedded object store",
        "health" => "Liveness and readiness",
        "metrics" => "Usage metrics per route and model, published per closed time bucket (admins)",
        "contract" => "This document and its docs page",
        _ => tag,
    };
}
