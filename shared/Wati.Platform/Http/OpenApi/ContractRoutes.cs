using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;

namespace Wati.Platform.Http.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c> (the document) and <c>GET /docs</c> (Swagger UI over it). The UI's assets
/// come from the Swashbuckle.AspNetCore.SwaggerUI package's embedded copy of swagger-ui-dist, so
/// nothing is fetched from a CDN; the page's own script is a file, so the CSP allows no inline script.
/// </summary>
public static class ContractRoutes
{
    private const string AssetPrefix = "Swashbuckle.AspNetCore.SwaggerUI.node_modules.swagger_ui_dist.";

    private static readonly Assembly UiAssembly = typeof(Swashbuckle.AspNetCore.SwaggerUI.SwaggerUIOptions).Assembly;

    /// <summary>The docs page's Content-Security-Policy: own scripts only; swagger-ui sets inline styles.</summary>
    public const string DocsCsp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                                  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>WATI AIGC API</title>
          <link rel="stylesheet" href="/docs/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="/docs/swagger-ui-bundle.js"></script>
          <script src="/docs/docs.js"></script>
        </body>
        </html>
        """;

    private const string Init = "window.ui = SwaggerUIBundle({ url: '/openapi/v1.json', dom_id: '#swagger-ui', deepLinking: true });\n";

    public static IEnumerable<RouteDef> All =>
    [
        new RouteDef<DocumentDeps>("OpenApiDocument", "GET", ApiDocument.Path, RouteAuth.None,
            (_, deps) => Task.FromResult<IResult>(new TextResult(deps.Json, "application/json; charset=utf-8", null)))
        {
            Doc = new("This OpenAPI 3.1 document") { Shape = ResponseShape.Raw, RawContentType = "application/json" },
        },
        new RouteDef<NoDeps>("Docs", "GET", "docs", RouteAuth.None, (_, _) => Task.FromResult<IResult>(new TextResult(Page, "text/html; charset=utf-8", DocsCsp)))
        {
            Doc = new("The API reference page (Swagger UI)") { Shape = ResponseShape.Raw, RawContentType = "text/html" },
        },
        new RouteDef<NoDeps>("DocsAsset", "GET", "docs/{asset}", RouteAuth.None, Asset)
        {
            Doc = new("A file of the docs page") { Shape = ResponseShape.Raw, RawContentType = "application/octet-stream" },
        },
    ];

    /// <summary>What the document route uses: the own routes of models declared in settings, documented beside the table's (built once).</summary>
    public sealed class DocumentDeps(Models.Catalog.DeclaredRoutes declared)
    {
        private string? json;

        /// <summary>The OpenAPI document as JSON.</summary>
        public string Json => json ??= ApiDocument.JsonWith(declared.All);
    }

    private static Task<IResult> Asset(RequestContext rc, NoDeps _)
    {
        var name = rc.Args["asset"];
        if (name == "docs.js") return Task.FromResult<IResult>(new TextResult(Init, "text/javascript; charset=utf-8", null));
        var contentType = Path.GetExtension(name) switch
        {
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".png" => "image/png",
            _ => null,
        };
        var stream = contentType is null ? null : UiAssembly.GetManifestResourceStream(AssetPrefix + name);
        if (stream is null) throw ApiException.NotFound("file");
        return Task.FromResult<IResult>(new StreamResult(stream, contentType!));
    }

    private sealed class TextResult(string text, string contentType, string? csp) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = contentType;
            response.Headers.CacheControl = "no-cache";
            if (csp is not null) response.Headers.ContentSecurityPolicy = csp;
            return response.WriteAsync(text, Encoding.UTF8, httpContext.RequestAborted);
        }
    }

    /// <summary>A packaged asset. The package stores them gzipped: sent as they are to clients that accept gzip, else inflated.</summary>
    private sealed class StreamResult(Stream content, string contentType) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await using var _ = content;
            var response = httpContext.Response;
            response.ContentType = contentType;
            response.Headers.CacheControl = "public, max-age=3600";
            response.Headers.Vary = "Accept-Encoding";
            var header = new byte[2];
            var read = await content.ReadAsync(header, httpContext.RequestAborted);
            content.Position = 0;
            var gzipped = read == 2 && header[0] == 0x1f && header[1] == 0x8b;
            if (gzipped && httpContext.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.ContentEncoding = "gzip";
                await content.CopyToAsync(response.Body, httpContext.RequestAborted);
                return;
            }
            await using var plain = gzipped ? new GZipStream(content, CompressionMode.Decompress) : content;
            await plain.CopyToAsync(response.Body, httpContext.RequestAborted);
        }
    }
}
