using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs;

/// <summary>Admin views of jobs that need attention: stuck (per the sweeper) and dead-lettered.</summary>
public static class JobAdminRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("AdminStuckJobs", "GET", "v1/admin/jobs/stuck", RouteAuth.Admin, Stuck)
        {
            Doc = new("Active jobs the sweeper acts on now: never sent, lost their message or worker, or a submit that never charged")
                { Shape = ResponseShape.List, Data = typeof(StuckJobView), Paged = true },
        },
        new("AdminDeadLetters", "GET", "v1/admin/jobs/dead-letters", RouteAuth.Admin, DeadLetters)
        {
            Doc = new("Dead-lettered messages of the model, batches and webhooks queues, newest first; ?model= narrows to one model queue. " +
                      "A job's was failed and refunded; one that is not a job message (body shown) stays until deleted")
                { Shape = ResponseShape.List, Data = typeof(DeadLetterView), Paged = true },
        },
        new("AdminDeleteDeadLetter", "DELETE", "v1/admin/jobs/dead-letters/{id}", RouteAuth.Admin, DeleteDeadLetter)
        {
            Doc = new("Remove one dead letter for good (its id from the list): the way to clear one no hook settles")
                { Data = typeof(DeadLetterRemoved), Errors = [ErrorCode.NotFound] },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(JobSweeper Sweeper, IJobQueueConsumer Queue, Models.Catalog.ModelCatalog Catalog);

    /// <summary>
    /// A dead-lettered message as listed: its job (null when the body is not a job message; <paramref name="Body"/>
    /// then shows it, cut to a bound), queue, deliveries and why. <paramref name="Id"/> deletes it.
    /// </summary>
    public sealed record DeadLetterView(string Id, string? JobId, string? Model, string Queue, int DeliveryCount, string Reason,
        DateTimeOffset DeadLetteredAt, string? Body);

    /// <summary>The answer of a delete: the dead letter's id.</summary>
    public sealed record DeadLetterRemoved(string Id, bool Deleted);

    /// <summary>
    /// A stuck job as listed; <paramref name="Action"/> is what the sweeper does next: <c>send</c>, <c>fail</c>,
    /// <c>abandon</c> or <c>remove</c>.
    /// </summary>
    public sealed record StuckJobView(string JobId, string UserId, string Model, string? State, string Action, string Reason,
        DateTimeOffset CreatedAt, DateTimeOffset? EnqueuedAt, DateTimeOffset? LeaseUntil, int Attempts);

    // Active jobs the sweeper would act on now, oldest first (a page of them).
    private static async Task<IResult> Stuck(RequestContext rc, Deps deps)
    {
        var stuck = (await deps.Sweeper.ListStuckAsync(rc.Cancellation))
            .Select(s => new StuckJobView(s.JobId, s.UserId, s.Model, s.State, s.Action.ToString().ToLowerInvariant(), s.Reason,
                s.CreatedAt, s.EnqueuedAt, s.LeaseUntil, s.Attempts))
            .ToList();
        var page = rc.Paging();
        return rc.List(stuck.Skip(page.Skip).Take(page.PageSize).ToList(), Pagination.Of(stuck.Count, page.Page, page.PageSize));
    }

    // Dead letters of every consumed queue (or of ?model='s), handled or not: each job's was failed and refunded.
    private static async Task<IResult> DeadLetters(RequestContext rc, Deps deps)
    {
        var model = deps.Catalog.CheckName(rc.Query("model"));
        var queue = deps.Queue;
        var letters = new List<DeadLetterView>();
        foreach (var q in model is null ? QueueRegistration.ConsumedQueues : [deps.Catalog.Get(model).Queue])
            letters.AddRange((await queue.GetDeadLettersAsync(q, 1000, rc.Cancellation))
                .Select(d => new DeadLetterView(d.Id, d.Message?.Id, d.Message?.Kind, d.Queue, d.DeliveryCount, d.Reason, d.DeadLetteredAt, d.Body)));
        var page = rc.Paging();
        var ordered = letters.OrderByDescending(l => l.DeadLetteredAt).ToList();
        return rc.List(ordered.Skip(page.Skip).Take(page.PageSize).ToList(), Pagination.Of(ordered.Count, page.Page, page.PageSize));
    }

    private static async Task<IResult> DeleteDeadLetter(RequestContext rc, Deps deps)
    {
        var id = rc.Args["id"];
        return await deps.Queue.DeleteDeadLetterAsync(id, rc.Cancellation)
            ? rc.Ok(new DeadLetterRemoved(id, Deleted: true))
            : throw ApiException.NotFound("dead letter");
    }
}
