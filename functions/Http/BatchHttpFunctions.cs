using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>Uploads, batches, webhooks (issue 12) and the admin metrics. Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class BatchHttpFunctions(HttpPipeline pipeline)
{
    [Function(nameof(AdminMetrics))]
    public Task<IResult> AdminMetrics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/metrics")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminMetrics), request, ct);

    [Function(nameof(CreateUploads))]
    public Task<IResult> CreateUploads([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/uploads")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(CreateUploads), request, ct);

    [Function(nameof(CreateBatch))]
    public Task<IResult> CreateBatch([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/batches")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(CreateBatch), request, ct);

    [Function(nameof(ListBatches))]
    public Task<IResult> ListBatches([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/batches")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListBatches), request, ct);

    [Function(nameof(GetBatch))]
    public Task<IResult> GetBatch([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/batches/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetBatch), request, ct, ("id", id));

    [Function(nameof(CancelBatch))]
    public Task<IResult> CancelBatch([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/batches/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(CancelBatch), request, ct, ("id", id));

    [Function(nameof(ListBatchItems))]
    public Task<IResult> ListBatchItems([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/batches/{id}/items")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListBatchItems), request, ct, ("id", id));

    [Function(nameof(GetBatchManifest))]
    public Task<IResult> GetBatchManifest([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/batches/{id}/manifest")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetBatchManifest), request, ct, ("id", id));

    [Function(nameof(ListBatchDeliveries))]
    public Task<IResult> ListBatchDeliveries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/batches/{id}/deliveries")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListBatchDeliveries), request, ct, ("id", id));

    [Function(nameof(GetWebhookSecret))]
    public Task<IResult> GetWebhookSecret([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/webhooks/secret")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetWebhookSecret), request, ct);

    [Function(nameof(RotateWebhookSecret))]
    public Task<IResult> RotateWebhookSecret([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/webhooks/secret/rotate")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(RotateWebhookSecret), request, ct);
}
