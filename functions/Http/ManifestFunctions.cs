using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>The public catalogue and its admin routes. Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class ManifestFunctions(HttpPipeline pipeline)
{
    [Function(nameof(ListPacks))]
    public Task<IResult> ListPacks([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/manifest")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListPacks), request, ct);

    [Function(nameof(GetPack))]
    public Task<IResult> GetPack([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/manifest/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetPack), request, ct, ("id", id));

    [Function(nameof(ListPortraits))]
    public Task<IResult> ListPortraits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/portraits")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListPortraits), request, ct);

    [Function(nameof(AdminCreatePack))]
    public Task<IResult> AdminCreatePack([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/admin/packs")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminCreatePack), request, ct);

    [Function(nameof(AdminDeletePack))]
    public Task<IResult> AdminDeletePack([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/packs/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminDeletePack), request, ct, ("id", id));

    [Function(nameof(AdminCreatePortrait))]
    public Task<IResult> AdminCreatePortrait([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/admin/portraits")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminCreatePortrait), request, ct);

    [Function(nameof(AdminDeletePortrait))]
    public Task<IResult> AdminDeletePortrait([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/portraits/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminDeletePortrait), request, ct, ("id", id));
}
