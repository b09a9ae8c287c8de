using System.Globalization;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Models;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;

namespace Wati.Platform.Jobs;

/// <summary>The four model routes and <c>/v1/jobs</c>.</summary>
public static class JobRoutes
{
    private const string CreditsHeader = "X-Credits-Charged";

    public static IEnumerable<RouteDef> All =>
    [
        new("Gfpgan", "POST", "v1/gfpgan", RouteAuth.User, rc => Submit(rc, ModelNames.Gfpgan)),
        new("ReplaceStyle", "POST", "v1/replace-style", RouteAuth.User, rc => Submit(rc, ModelNames.ReplaceStyle)),
        new("ReplaceBackground", "POST", "v1/replace-background", RouteAuth.User, rc => Submit(rc, ModelNames.ReplaceBackground)),
        new("IcLight", "POST", "v1/portraits/iclight", RouteAuth.User, rc => Submit(rc, ModelNames.IcLight)),
        new("ListJobs", "GET", "v1/jobs", RouteAuth.User, List),
        new("GetJob", "GET", "v1/jobs/{id}", RouteAuth.User, Get),
        new("DeleteJob", "DELETE", "v1/jobs/{id}", RouteAuth.User, Delete),
    ];

    private static async Task<IResult> Submit(RequestContext rc, string model)
    {
        var jobs = rc.Service<JobsService>();
        var prefer = Prefer.Parse(rc.Request.Headers["Prefer"].ToString(), jobs.Options);
        var spec = await JobSpecs.ReadAsync(model, await UploadForm.ReadAsync(rc), rc.Cancellation);
        var idempotencyKey = IdempotencyKey(rc);

        var submission = await jobs.SubmitAsync(rc.Caller.UserId, spec, idempotencyKey, rc.Cancellation);
        var job = submission.Job;
        var statusUrl = rc.AbsoluteUrl(JobView.StatusPath(job.Id));
        if (prefer.RespondAsync)
        {
            var result = Priced(rc.Ok(new { job_id = job.Id, state = job.State, status_url = statusUrl }, Meta(job, submission, spec: spec), 202), job);
            result.Headers["Location"] = statusUrl;
            return result;
        }

        job = await jobs.WaitAsync(job, prefer.Wait, rc.Cancellation);
        if (job.Failure is { } failure) throw Priced(failure, job);
        if (job.State != JobStates.Succeeded)
            throw Priced(new ApiException(ErrorCode.TimeoutError,
                job.State == JobStates.Canceled ? "the job was canceled" : "the job is still running; poll status_url for its result",
                new { job_id = job.Id, state = job.State, status_url = statusUrl, credits_charged = job.NetCharge }), job);
        var view = await ViewAsync(rc, job);
        return Priced(rc.Ok(OutputData(view), Meta(job, submission, withSize: true, spec: spec)), job);
    }

    private static async Task<IResult> Get(RequestContext rc)
    {
        var job = await rc.Service<JobsService>().GetAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return Priced(rc.Ok(await ViewAsync(rc, job), Meta(job, null)), job);
    }

    private static async Task<IResult> List(RequestContext rc)
    {
        var model = rc.Query("model");
        if (model is not null && !ModelNames.All.Contains(model))
            throw ApiException.Validation($"model must be one of: {string.Join(", ", ModelNames.All)}", new { field = "model" });
        var state = rc.Query("state");
        if (state is not null && !JobStates.All.Contains(state))
            throw ApiException.Validation($"state must be one of: {string.Join(", ", JobStates.All)}", new { field = "state" });

        var page = await rc.Service<JobsService>().ListAsync(rc.Caller.UserId, model, state, rc.Paging(), rc.Cancellation);
        var views = new List<JobView>();
        foreach (var job in page.Items) views.Add(await ViewAsync(rc, job));
        return rc.List(views, page.Pagination);
    }

    private static async Task<IResult> Delete(RequestContext rc)
    {
        var job = await rc.Service<JobsService>().CancelOrDeleteAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return Priced(rc.Ok(await ViewAsync(rc, job), Meta(job, null)), job);
    }

    private static Task<JobView> ViewAsync(RequestContext rc, JobRecord job) =>
        JobView.CreateAsync(job, rc.Service<IObjectStore>(), TimeSpan.FromSeconds(rc.Service<JobsService>().Options.OutputUrlSeconds),
            rc.Service<IPublicBaseUrl>().Get(), rc.Cancellation);

    /// <summary>The synchronous answer's data: one output's key/url, or every output with its index.</summary>
    private static object OutputData(JobView view) => view.Outputs is { } outputs
        ? new { job_id = view.JobId, outputs = outputs.Select(o => new { o.Url, o.Index, o.Key, o.ExpiresIn, o.Width, o.Height }).ToList(),
            expires_in = outputs.Count > 0 ? outputs[0].ExpiresIn : 0 }
        : new { job_id = view.JobId, key = view.Key, url = view.Url, expires_in = view.ExpiresIn ?? 0 };

    /// <param name="withSize">The synchronous answer states the (first) output's size, as the response format shows.</param>
    /// <param name="spec">The submit answer names the animated inputs of which only the first frame was used.</param>
    private static Dictionary<string, object?> Meta(JobRecord job, Submission? submission, bool withSize = false, JobSpec? spec = null)
    {
        var meta = new Dictionary<string, object?>
        {
            ["job_id"] = job.Id,
            ["model"] = job.Model,
            ["credits_charged"] = job.NetCharge,
        };
        if (submission?.Replayed == true) meta["idempotent_replay"] = true;
        if (spec?.Images.Where(i => i.Value.FirstFrameOnly).Select(i => i.Key).ToList() is { Count: > 0 } animated)
            meta["first_frame_only"] = animated;
        if (withSize && job.Outputs.FirstOrDefault() is { } size)
        {
            meta["width"] = size.Width;
            meta["height"] = size.Height;
        }
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
