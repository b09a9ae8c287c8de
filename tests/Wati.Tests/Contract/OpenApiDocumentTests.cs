using System.Net;
using System.Text.Json;
using Wati.Platform.Http;
using Wati.Platform.Http.OpenApi;
using Wati.Tests.Support;

namespace Wati.Tests.Contract;

/// <summary>The OpenAPI document: one operation per route of the table, served by the host, with its docs page.</summary>
public sealed class OpenApiDocumentTests(OpenApiDocumentTests.App app) : IClassFixture<OpenApiDocumentTests.App>
{
    public sealed class App() : WatiAppFactory();

    private static readonly JsonElement Document = JsonDocument.Parse(ApiDocument.Json).RootElement;

    [Fact]
    public void TheDocumentHasExactlyTheRoutesOfTheRouteTable()
    {
        var documented = Document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {p.Name}"))
            .Order(StringComparer.Ordinal).ToList();
        var routes = RouteTable.All.Select(r => $"{r.Method} {ApiDocument.PathOf(r.Template)}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(routes, documented);
        Assert.StartsWith("3.1.", Document.GetProperty("openapi").GetString());
    }

    [Fact]
    public void ARouteWithoutADescriptionCannotBeDocumented()
    {
        var bare = new RouteDef<NoDeps>("Bare", "GET", "v1/bare", RouteAuth.None, (_, _) => throw new NotImplementedException());
        var e = Assert.Throws<InvalidOperationException>(() => ApiDocument.Build([bare]));
        Assert.Contains("Bare", e.Message);
    }

    [Fact]
    public void Int64FieldsAreDecimalStringsInAnswersAndNumberOrStringInRequests()
    {
        var schemas = Document.GetProperty("components").GetProperty("schemas");
        var balance = schemas.GetProperty("CreditBalance").GetProperty("properties").GetProperty("balance");
        Assert.Equal("string", balance.GetProperty("type").GetString());
        Assert.Equal("int64", balance.GetProperty("format").GetString());

        var amount = schemas.GetProperty("GrantBody").GetProperty("properties").GetProperty("amount");
        Assert.Equal(["integer", "string"], amount.GetProperty("type").EnumerateArray().Select(t => t.GetString()).Order());
        Assert.Equal("date-time", schemas.GetProperty("UserProfile").GetProperty("properties").GetProperty("created_at").GetProperty("format").GetString());
    }

    [Fact]
    public void NoEnumListsAValueTwice()
    {
        // An error code reachable with one status from two sources (a route's extra errors and the pipeline's)
        // was listed twice in that status's enum (Redocly: "Duplicated enum value").
        var repeated = new List<string>();
        void Visit(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "enum" && p.Value.ValueKind == JsonValueKind.Array)
                    {
                        var values = p.Value.EnumerateArray().Select(v => v.GetRawText()).ToList();
                        if (values.Count != values.Distinct().Count()) repeated.Add(path);
                    }
                    Visit(p.Value, path + "/" + p.Name);
                }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var (item, i) in e.EnumerateArray().Select((x, i) => (x, i))) Visit(item, $"{path}/{i}");
        }
        Visit(Document, "#");
        Assert.Empty(repeated);
    }

    [Fact]
    public async Task BothTheDocumentAndItsDocsPageAreServedWithoutACdn()
    {
        var http = app.CreateClient();
        var served = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(ApiDocument.Json, await served.Content.ReadAsStringAsync());

        var page = await http.GetAsync("/docs");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("https://", html);
        foreach (var (asset, text) in new[] { ("/docs/swagger-ui-bundle.js", "SwaggerUIBundle"), ("/docs/swagger-ui.css", ".swagger-ui"),
                     ("/docs/docs.js", "/openapi/v1.json") })
        {
            var r = await http.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains(text, await r.Content.ReadAsStringAsync());
        }
        var gzip = new HttpRequestMessage(HttpMethod.Get, "/docs/swagger-ui-bundle.js");
        gzip.Headers.AcceptEncoding.ParseAdd("gzip");
        Assert.Equal(["gzip"], (await http.SendAsync(gzip)).Content.Headers.ContentEncoding);
        (await app.Api().GetAsync("/docs/nothing.js")).Expect(404, "NOT_FOUND");
    }
}
