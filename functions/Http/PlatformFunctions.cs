using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>Health probes and the API contract (OpenAPI document, docs page). Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class PlatformFunctions(HttpPipeline pipeline)
{
    [Function(nameof(Healthz))]
    public Task<IResult> Healthz([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Healthz), request, ct);

    [Function(nameof(Readyz))]
    public Task<IResult> Readyz([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "readyz")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Readyz), request, ct);

    [Function(nameof(OpenApiDocument))]
    public Task<IResult> OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(OpenApiDocument), request, ct);

    [Function(nameof(Docs))]
    public Task<IResult> Docs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Docs), request, ct);

    [Function(nameof(DocsAsset))]
    public Task<IResult> DocsAsset([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/{asset}")] HttpRequest request, string asset, CancellationToken ct) =>
        pipeline.RunAsync(nameof(DocsAsset), request, ct, ("asset", asset));
}
