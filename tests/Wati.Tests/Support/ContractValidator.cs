using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Wati.Platform.Http.OpenApi;

namespace Wati.Tests.Support;

/// <summary>
/// Checks an answer against the OpenAPI document: the route (method + path template) must document the
/// answer's status, and a JSON body must validate against that status's schema (JSON Schema 2020-12,
/// as OpenAPI 3.1 uses it). Paths no route has are checked against the error envelope. Every
/// <see cref="ApiClient"/> call goes through here, so a field that drifts from the document fails a test.
/// </summary>
public static class ContractValidator
{
    private static readonly JsonNode Document = JsonNode.Parse(ApiDocument.Json)!;
    private static readonly JsonObject Components = Document["components"]!["schemas"]!.AsObject();
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new();

    private static readonly List<(Regex Pattern, string Path)> Paths = Document["paths"]!.AsObject()
        .Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Key).Replace("\\{", "{"), "{key}", ".+").Replace("{id}", "[^/]+").Replace("{name}", "[^/]+")
            .Replace("{asset}", "[^/]+") + "$"), p.Key))
        .OrderBy(p => p.Key.Count(c => c == '{'))
        .ToList();

    /// <summary>Throws (failing the test) when the answer is not what the document says.</summary>
    public static void Validate(HttpMethod method, string requestPath, int status, string? mediaType, string body)
    {
        var path = requestPath.Split('?')[0];
        var template = Paths.FirstOrDefault(p => p.Pattern.IsMatch(path)).Path;
        var operation = template is null ? null : Document["paths"]![template]![method.Method.ToLowerInvariant()];
        string schemaKey;
        JsonNode? schemaNode;
        if (operation is null)
        {
            // No such route (404) or method (405): the plain error envelope.
            Assert.True(status is 404 or 405, $"{method} {path} answered {status} but the document has no such operation");
            schemaKey = "ErrorEnvelope";
            schemaNode = new JsonObject { ["$ref"] = "#/components/schemas/ErrorEnvelope" };
        }
        else
        {
            var response = operation["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.True(response is not null, $"{method} {template} answered {status}, which the document does not list: {Trim(body)}");
            if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)) return;
            schemaKey = $"{method} {template} {status}";
            schemaNode = response!["content"]?["application/json"]?["schema"];
            Assert.True(schemaNode is not null, $"{schemaKey} answered JSON but the document gives no JSON schema");
        }

        var schema = Schemas.GetOrAdd(schemaKey, _ => Compile(schemaNode!));
        using var instance = JsonDocument.Parse(body);
        var result = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)} ({d.EvaluationPath})");
            Assert.Fail($"{schemaKey}: the answer does not match the document:\n  {string.Join("\n  ", errors)}\n{Trim(body)}");
        }
    }

    /// <summary>The response schema as a standalone 2020-12 schema: the document's components become its $defs.</summary>
    private static JsonSchema Compile(JsonNode schema)
    {
        var standalone = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = Components.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var text = standalone.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonSchema.FromText(text, baseUri: new Uri($"https://contract.wati.test/{Guid.NewGuid():N}"));
    }

    private static string Trim(string body) => body.Length <= 600 ? body : body[..600] + "…";
}
