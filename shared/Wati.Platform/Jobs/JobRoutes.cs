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

    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("Gfpgan", "POST", "v1/gfpgan", RouteAuth.User, (rc, deps) => Submit(rc, deps, ModelNames.Gfpgan))
        {
            Doc = Model("GFPGAN face enhancement and upscale", typeof(SingleOutputData), typeof(GfpganMeta),
            [
                Image("image", "The photo"),
                new("scale", FieldKind.Integer, "Upscale factor") { Min = 1, Max = 4, Default = 2 },
                new("version", FieldKind.String, "GFPGAN version (a leading v is accepted)") { Enum = JobSpecs.GfpganVersions, Default = "1.4" },
            ]),
        },
        new("ReplaceStyle", "POST", "v1/replace-style", RouteAuth.User, (rc, deps) => Submit(rc, deps, ModelNames.ReplaceStyle))
        {
            Doc = Model("Restyle a photo", typeof(SingleOutputData), typeof(StyleMeta),
            [
                Image("image", "The photo"),
                new("style", FieldKind.String, "The style") { Required = true, Enum = Styles.All },
            ]),
        },
        new("ReplaceBackground", "POST", "v1/replace-background", RouteAuth.User, (rc, deps) => Submit(rc, deps, ModelNames.ReplaceBackground))
        {
            Doc = Model("Put a foreground on a new background (the output has bg's size)", typeof(SingleOutputData), typeof(JobMeta),
                [Image("fg", "The foreground (a person)"), Image("bg", "The new background")]),
        },
        new("IcLight", "POST", "v1/portraits/iclight", RouteAuth.User, (rc, deps) => Submit(rc, deps, ModelNames.IcLight))
        {
            Doc = Model("IC-Light portrait relighting: several outputs, charged per image", typeof(MultipleOutputData), typeof(IcLightMeta),
            [
                Image("subject_image", "The portrait"),
                new("prompt", FieldKind.String, "What the light should look like") { Required = true, MaxLength = 500 },
                new("light_source", FieldKind.String, "Where the light comes from") { Enum = LightSources.All, Default = "None" },
                new("steps", FieldKind.Integer, "Sampling steps") { Min = 1, Max = 100, Default = 25 },
                new("cfg", FieldKind.Number, "Guidance scale") { Min = 1, Max = 32, Default = 2 },
                new("width", FieldKind.Integer, "Output width in pixels") { Min = 256, Max = 1024, MultipleOf = 64, Default = 512 },
                new("height", FieldKind.Integer, "Output height in pixels") { Min = 256, Max = 1024, MultipleOf = 64, Default = 640 },
                new("number_of_images", FieldKind.Integer, "How many images (each is charged)") { Min = 1, Max = 12, Default = 1 },
                new("output_format", FieldKind.String, "Output format (jpeg is taken as jpg)") { Enum = JobSpecs.OutputFormats, Default = "webp" },
            ]),
        },
        new("ListJobs", "GET", "v1/jobs", RouteAuth.User, List)
        {
            Doc = new("The caller's jobs, newest first") { Shape = ResponseShape.List, Data = typeof(JobView), Paged = true,
                Query = [new("model", "Only jobs of this model") { Enum = ModelNames.All }, new("state", "Only jobs in this state") { Enum = JobStates.All }] },
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
    public sealed record Deps(JobsService Jobs, UploadFormReader Forms, IObjectStore Objects, IPublicBaseUrl BaseUrl);

    private static RouteDoc Model(string summary, Type data, Type meta, IReadOnlyList<FormField> form) => new(summary)
    {
        Description = "Charged, queued and run; waits for the result (Prefer: wait=N, at most 200 s) or answers 202 at once " +
                      "(Prefer: respond-async). Uploads: JPEG, PNG or WebP by their bytes (415), at most 10 MiB (413) and 40 MP (400).",
        Form = form, Data = data, Meta = meta, JobSubmit = true,
    };

    private static FormField Image(string name, string description) => new(name, FieldKind.File, description + "; or, as a text value, an upload id (upl_…) or an https URL (fetched through the SSRF guard)") { Required = true };

    private static async Task<IResult> Submit(RequestContext rc, Deps deps, string model)
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
            var result = Priced(rc.Ok(new JobAccepted(job.Id, job.State, statusUrl), Meta(rc, job, submission, spec), 202), job);
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
        return Priced(rc.Ok(view.ToOutputData(), Meta(rc, job, submission, spec)), job);
    }

    private static async Task<IResult> Get(RequestContext rc, Deps deps)
    {
        var job = await deps.Jobs.GetAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation);
        return Priced(rc.Ok(await ViewAsync(rc, deps, job), Meta(rc, job, null)), job);
    }

    private static async Task<IResult> List(RequestContext rc, Deps deps)
    {
        var model = rc.Query("model");
        if (model is not null && !ModelNames.All.Contains(model))
            throw ApiException.Validation($"model must be one of: {string.Join(", ", ModelNames.All)}", new { field = "model" });
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
        return Priced(rc.Ok(await ViewAsync(rc, deps, job), Meta(rc, job, null)), job);
    }

    private static Task<JobView> ViewAsync(RequestContext rc, Deps deps, JobRecord job) =>
        JobView.CreateAsync(job, deps.Objects, TimeSpan.FromSeconds(deps.Jobs.Options.OutputUrlSeconds),
            deps.BaseUrl.Get(), rc.RequestId, rc.Cancellation);

    /// <param name="spec">The submit answer names the animated inputs of which only the first frame was used.</param>
    private static Dictionary<string, object?> Meta(RequestContext rc, JobRecord job, Submission? submission, JobSpec? spec = null)
    {
        var meta = JobMeta.For(job, rc.RequestId, submission?.Replayed == true).ToDictionary();
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
