using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>The model catalogue: listed, described, and any model called by name. Each function hands its request to the shared pipeline.</summary>
public sealed class ModelFunctions(HttpPipeline pipeline)
{
    [Function(nameof(ListModels))]
    public Task<IResult> ListModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/models")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListModels), request, ct);

    [Function(nameof(GetModel))]
    public Task<IResult> GetModel([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/models/{name}")] HttpRequest request, string name,
        CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetModel), request, ct, ("name", name));

    [Function(nameof(RunModel))]
    public Task<IResult> RunModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/models/{name}")] HttpRequest request, string name,
        CancellationToken ct) =>
        pipeline.RunAsync(nameof(RunModel), request, ct, ("name", name));
}
