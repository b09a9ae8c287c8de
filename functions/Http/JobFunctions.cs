using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>Model calls and their jobs. Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class JobFunctions(HttpPipeline pipeline)
{
    [Function(nameof(Gfpgan))]
    public Task<IResult> Gfpgan([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/gfpgan")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Gfpgan), request, ct);

    [Function(nameof(ReplaceStyle))]
    public Task<IResult> ReplaceStyle([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/replace-style")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ReplaceStyle), request, ct);

    [Function(nameof(ReplaceBackground))]
    public Task<IResult> ReplaceBackground([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/replace-background")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ReplaceBackground), request, ct);

    [Function(nameof(IcLight))]
    public Task<IResult> IcLight([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/portraits/iclight")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(IcLight), request, ct);

    [Function(nameof(PortraitVideo))]
    public Task<IResult> PortraitVideo([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/portraits/video")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(PortraitVideo), request, ct);

    [Function(nameof(ListJobs))]
    public Task<IResult> ListJobs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/jobs")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListJobs), request, ct);

    [Function(nameof(GetJob))]
    public Task<IResult> GetJob([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/jobs/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetJob), request, ct, ("id", id));

    [Function(nameof(DeleteJob))]
    public Task<IResult> DeleteJob([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/jobs/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(DeleteJob), request, ct, ("id", id));

    [Function(nameof(AdminStuckJobs))]
    public Task<IResult> AdminStuckJobs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/jobs/stuck")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminStuckJobs), request, ct);

    [Function(nameof(AdminDeadLetters))]
    public Task<IResult> AdminDeadLetters([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/admin/jobs/dead-letters")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminDeadLetters), request, ct);

    [Function(nameof(AdminDeleteDeadLetter))]
    public Task<IResult> AdminDeleteDeadLetter([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/admin/jobs/dead-letters/{id}")] HttpRequest request,
        string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminDeleteDeadLetter), request, ct, ("id", id));
}
