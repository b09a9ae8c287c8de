using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Http;
using Wati.Platform.Jobs;
using Wati.Platform.Storage;

namespace Wati.Platform.Batches;

/// <summary><c>/v1/batches</c>: many items of one model in one call, fed to the model's queue, followed and canceled as one.</summary>
public static class BatchRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("CreateBatch", "POST", "v1/batches", RouteAuth.User, Create)
        {
            Doc = new("Submit a batch: every item validated first (400 names the invalid items; nothing charged), the total reserved at once (402), items fed to the model's queue within the active-job limit")
            {
                JsonBody = typeof(BatchBody), Data = typeof(BatchView), SuccessStatus = 202,
                Errors = [ErrorCode.InsufficientBalance, ErrorCode.AlreadyExists],
            },
        },
        new("ListBatches", "GET", "v1/batches", RouteAuth.User, List)
        {
            Doc = new("The caller's batches, newest first") { Shape = ResponseShape.List, Data = typeof(BatchView), Paged = true },
        },
        new("GetBatch", "GET", "v1/batches/{id}", RouteAuth.User, Get)
        {
            Doc = new("A batch: state (running, completed), counts per state, credits reserved, kept and refunded") { Data = typeof(BatchView), Errors = [ErrorCode.NotFound] },
        },
        new("ListBatchItems", "GET", "v1/batches/{id}/items", RouteAuth.User, Items)
        {
            Doc = new("A batch's items in order: ref, state, outputs with fresh URLs, or error")
                { Shape = ResponseShape.List, Data = typeof(BatchItemView), Paged = true, Errors = [ErrorCode.NotFound] },
        },
        new("GetBatchManifest", "GET", "v1/batches/{id}/manifest", RouteAuth.User, Manifest)
        {
            Doc = new("Every output of the batch in one document (ref, index, key, fresh url)") { Data = typeof(BatchManifest), Errors = [ErrorCode.NotFound] },
        },
        new("ListBatchDeliveries", "GET", "v1/batches/{id}/deliveries", RouteAuth.User, Deliveries)
        {
            Doc = new("Every webhook delivery attempt of the batch's events, in order") { Data = typeof(ItemList<Webhooks.DeliveryView>), Errors = [ErrorCode.NotFound] },
        },
        new("CancelBatch", "DELETE", "v1/batches/{id}", RouteAuth.User, Cancel)
        {
            Doc = new("Cancel what has not started and refund it; running and finished items stay") { Data = typeof(BatchView), Errors = [ErrorCode.NotFound] },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(BatchesService Batches, IOptions<BatchesOptions> Options, JobsService Jobs, Webhooks.WebhookSender Webhooks,
        IObjectStore Objects, IPublicBaseUrl BaseUrl, Models.Catalog.ModelCatalog Catalog);

    private static async Task<IResult> Create(RequestContext rc, Deps deps)
    {
        var service = deps.Batches;
        var body = await rc.ReadJsonAsync<BatchBody>(deps.Options.Value.MaxBodyBytes);
        var key = rc.Request.Headers["Idempotency-Key"].ToString().Trim();
        if (key.Length > 255) throw ApiException.Validation("Idempotency-Key is at most 255 characters");
        var submission = await service.SubmitAsync(rc.Caller.UserId, body, key.Length == 0 ? null : key, rc.RequestId, rc.Cancellation);
        var view = await ViewAsync(rc, deps, submission.BatchId);
        var result = rc.Ok(view, new Dictionary<string, object?> { ["idempotent_replay"] = submission.Replayed }, 202);
        result.Headers["Location"] = view.StatusUrl;
        return result;
    }

    private static async Task<IResult> Get(RequestContext rc, Deps deps) => rc.Ok(await ViewAsync(rc, deps, rc.Args["id"]));

    private static async Task<IResult> List(RequestContext rc, Deps deps)
    {
        var service = deps.Batches;
        var page = await service.ListAsync(rc.Caller.UserId, rc.Paging(), rc.Cancellation);
        var views = new List<BatchView>();
        foreach (var row in page.Items) views.Add(await service.ViewAsync(rc.Caller.UserId, row, deps.BaseUrl.Get(), rc.Cancellation));
        return rc.List(views, page.Pagination);
    }

    private static async Task<IResult> Items(RequestContext rc, Deps deps)
    {
        var service = deps.Batches;
        var batchId = rc.Args["id"];
        await service.GetRowAsync(rc.Caller.UserId, batchId, rc.Cancellation);
        var paging = rc.Paging();
        var items = await service.ReadItemsAsync(rc.Caller.UserId, batchId, rc.Cancellation);
        var views = new List<BatchItemView>();
        foreach (var (item, job) in items.Skip(paging.Skip).Take(paging.PageSize))
        {
            var state = BatchesService.StateOf(item, job);
            var outputs = job is { State: JobStates.Succeeded } ? (await JobViewOf(rc, deps, job)).Outputs ?? SingleOutput(await JobViewOf(rc, deps, job)) : [];
            var error = state == JobStates.Failed
                ? new JobErrorView(job is null ? "PROCESSING_ERROR" : job.FailureCode.Wire(), job?.ErrorMessage ?? item.GetString("error") ?? "the item failed")
                : null;
            views.Add(new BatchItemView((int)(item.GetInt64("index") ?? 0), item.GetString("ref"), state, job?.Id, item.GetInt64("price") ?? 0,
                outputs, error));
        }
        return rc.List(views, new Page<BatchItemView>(views, items.Count, paging).Pagination);
    }

    private static async Task<IResult> Manifest(RequestContext rc, Deps deps)
    {
        var service = deps.Batches;
        var batchId = rc.Args["id"];
        var batch = await service.GetRowAsync(rc.Caller.UserId, batchId, rc.Cancellation);
        var entries = new List<ManifestEntry>();
        foreach (var (item, job) in await service.ReadItemsAsync(rc.Caller.UserId, batchId, rc.Cancellation))
        {
            if (job is not { State: JobStates.Succeeded, OutputsDeleted: false }) continue;
            var view = await JobViewOf(rc, deps, job);
            foreach (var o in view.Outputs ?? SingleOutput(view))
                entries.Add(new ManifestEntry(item.GetString("ref"), (int)(item.GetInt64("index") ?? 0), o.Index, o.Key, o.Url, o.ExpiresIn));
        }
        return rc.Ok(new BatchManifest(batchId, batch.GetString("state") ?? "running", entries));
    }

    private static async Task<IResult> Deliveries(RequestContext rc, Deps deps)
    {
        await deps.Batches.GetRowAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        var attempts = await deps.Webhooks.AttemptsAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return rc.Ok(new ItemList<Webhooks.DeliveryView>(attempts));
    }

    private static async Task<IResult> Cancel(RequestContext rc, Deps deps)
    {
        await deps.Batches.CancelAsync(rc.Caller.UserId, rc.Args["id"], deps.Jobs, rc.Cancellation);
        return rc.Ok(await ViewAsync(rc, deps, rc.Args["id"]));
    }

    private static async Task<BatchView> ViewAsync(RequestContext rc, Deps deps, string batchId)
    {
        var service = deps.Batches;
        var row = await service.GetRowAsync(rc.Caller.UserId, batchId, rc.Cancellation);
        return await service.ViewAsync(rc.Caller.UserId, row, deps.BaseUrl.Get(), rc.Cancellation);
    }

    private static Task<JobView> JobViewOf(RequestContext rc, Deps deps, JobRecord job) =>
        JobView.CreateAsync(job, deps.Catalog, deps.Objects, TimeSpan.FromSeconds(deps.Jobs.Options.OutputUrlSeconds),
            deps.BaseUrl.Get(), rc.RequestId, rc.Cancellation);

    private static IReadOnlyList<OutputView> SingleOutput(JobView view) =>
        view.Key is null ? [] : [new OutputView(0, view.Key, view.Url!, view.ExpiresIn ?? 0, 0, 0) { PresignedUrl = view.PresignedUrl }];
}
