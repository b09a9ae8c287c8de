using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;

namespace Wati.Platform.Jobs;

/// <summary>The code models' own routes (from the catalogue) and <c>/v1/jobs</c>.</summary>
public static class JobRoutes
{
    private const string CreditsHeader = "X-Credits-Charged";

    /// <summary>
    /// One route per code model that has its own (<see cref="ModelDefinition.OperationId"/>; the seed's four,
    /// with their operation ids), then <c>/v1/jobs</c>. Models on the generic route are served by
    /// <see cref="ModelRoutes"/>' <c>POST /v1/models/{name}</c>.
    /// </summary>
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        .. ModelCatalog.Code.Where(m => m.OperationId is not null).Select(ModelRoute),
        new("ListJobs", "GET", "v1/jobs", RouteAuth.User, List)
        {
            Doc = new("The caller's jobs, newest first") { Shape = ResponseShape.List, Data = typeof(JobView), Paged = true,
                Query = [new("model", "Only jobs of this model: a name of GET /v1/models (models declared in settings are known only at run time, so no enum)"), new("state", "Only jobs in this state") { Enum = JobStates.All }] },
        },
        new("GetJob", "GET", "v1/jobs/{id}", RouteAuth.User, Get)
        {
            Doc = new("A job: its state and, once succeeded, its outputs with fresh URLs and the waited answer's meta") { Data = typeof(JobView),
                Meta = typeof(JobMeta), Priced = true },
        },
        new("DeleteJob", "DELETE", "v1/jobs/{id}", RouteAuth.User, Delete)
        {
            Doc = new("Queued: cancel and refund; finished: delete its stored outputs") { Data = typeof(JobView), Meta = typeof(JobMeta), Priced = true },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(JobsService Jobs, UploadFormReader Forms, IObjectStore Objects, IPublicBaseUrl BaseUrl, ModelCatalog Catalog);

    /// <summary>What every model submission's documentation says (how it is charged, waited for and uploaded).</summary>
    internal const string SubmitDescription =
        "Charged, queued and run; waits for the result (Prefer: wait=N, at most 200 s) or answers 202 at once " +
        "(Prefer: respond-async). Uploads: JPEG, PNG or WebP by their bytes (415), at most 10 MiB (413) and 40 MP (400).";

    /// <summary>A model's own route, documented from its definition: the form from its declared inputs (also the own routes of
    /// models declared in settings, <see cref="DeclaredRoutes"/>).</summary>
    internal static RouteDef<Deps> ModelRoute(ModelDefinition model) =>
        new(model.OperationId!, "POST", model.Route, RouteAuth.User, (rc, deps) => SubmitAsync(rc, deps, deps.Catalog.Get(model.Name)))
        {
            Doc = new(model.Description)
            {
                Description = SubmitDescription, Form = model.Schema.FormFields(), Data = model.DataType, Meta = model.MetaType, JobSubmit = true,
            },
        };

    /// <summary>
    /// A call of <paramref name="model"/>: the form read by its declared inputs, charged and queued; the
    /// result waited for (Prefer: wait=N) or 202 at once (Prefer: respond-async). Its own route and
    /// <c>POST /v1/models/{name}</c> both answer through here.
    /// </summary>
    internal static async Task<IResult> SubmitAsync(RequestContext rc, Deps deps, ModelDefinition model)
    {
        var jobs = deps.Jobs;
        var prefer = Prefer.Parse(rc.Request.Headers["Prefer"].ToString(), jobs.Options);
        var spec = await JobSpecs.ReadAsync(model, await deps.Forms.ReadAsync(rc), rc.Cancellation);
        var idempotencyKey = IdempotencyKey(rc);

        var submission = await jobs.SubmitAsync(rc.Caller.UserId, spec, idempotencyKey, rc.Cancellation);
        var job = submission.Job;
        var statusUrl = rc.AbsoluteUrl(JobView.StatusPath(job.Id));
        if (prefer.RespondAsync)
        {
            var result = Priced(rc.Ok(new JobAccepted(job.Id, job.State, statusUrl), Meta(rc, deps, job, submission, spec), 202), job);
            result.Headers["Location"] = statusUrl;
            return result;
        }

        job = await jobs.WaitAsync(job, prefer.Wait, rc.Cancellation);
        if (job.Failure is { } failure) throw Priced(failure, job);
        if (job.State != JobStates.Succeeded)
            throw Priced(new ApiException(ErrorCode.TimeoutError,
                job.State == JobStates.Canceled ? "the job was canceled" : "the job has not finished; poll status_url for its result",
                new { job_id = job.Id, state = job.State, status_url = statusUrl, credits_charged = job.NetCharge }), job);
        var view = await ViewAsync(rc, deps, job);
        return Priced(rc.Ok(view.ToOutputData(), Meta(rc, deps, job, submission, spec)), job);
    }

    private static async Task<IResult> Get(RequestContext rc, Deps deps)
    {
        var job = await deps.Jobs.GetAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return Priced(rc.Ok(await ViewAsync(rc, deps, job), Meta(rc, deps, job, null)), job);
    }

    private static async Task<IResult> List(RequestContext rc, Deps deps)
    {
        var model = deps.Catalog.CheckName(rc.Query("model"));
        var state = rc.Query("state");
        if (state is not null && !JobStates.All.Contains(state))
            throw ApiException.Validation($"state must be one of: {string.Join(", ", JobStates.All)}", new { field = "state" });

        var page = await deps.Jobs.ListAsync(rc.Caller.UserId, model, state, rc.Paging(), rc.Cancellation);
        var views = new List<JobView>();
        foreach (var job in page.Items) views.Add(await ViewAsync(rc, deps, job));
        return rc.List(views, page.Pagination);
    }

    private static async Task<IResult> Delete(RequestContext rc, Deps deps)
    {
        var job = await deps.Jobs.CancelOrDeleteAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return Priced(rc.Ok(await ViewAsync(rc, deps, job), Meta(rc, deps, job, null)), job);
    }

    private static Task<JobView> ViewAsync(RequestContext rc, Deps deps, JobRecord job) =>
        JobView.CreateAsync(job, deps.Catalog, deps.Objects, TimeSpan.FromSeconds(deps.Jobs.Options.OutputUrlSeconds),
            deps.BaseUrl.Get(), rc.RequestId, rc.Cancellation);

    /// <param name="spec">The submit answer names the animated inputs of which only the first frame was used.</param>
    private static Dictionary<string, object?> Meta(RequestContext rc, Deps deps, JobRecord job, Submission? submission, JobSpec? spec = null)
    {
        var meta = JobMeta.For(job, deps.Catalog, rc.RequestId, submission?.Replayed == true).ToDictionary();
        if (spec?.Images.Where(i => i.Value.FirstFrameOnly).Select(i => i.Key).ToList() is { Count: > 0 } animated)
            meta["first_frame_only"] = animated;
        return meta;
    }

    private static IEnvelopeResult Priced(IEnvelopeResult result, JobRecord job)
    {
        result.Headers[CreditsHeader] = Price(job);
        return result;
    }

    private static ApiException Priced(ApiException error, JobRecord job)
    {
        error.Headers[CreditsHeader] = Price(job);
        return error;
    }

    private static string Price(JobRecord job) => job.NetCharge.ToString(CultureInfo.InvariantCulture);

    private static string? IdempotencyKey(RequestContext rc)
    {
        var key = rc.Request.Headers["Idempotency-Key"].ToString().Trim();
        if (key.Length == 0) return null;
        return key.Length <= 255 ? key : throw ApiException.Validation("Idempotency-Key is at most 255 characters");
    }
}
