using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wati.Envelope;
using Wati.Platform.Http;

namespace Wati.Platform.Health;

/// <summary>A dependency that <c>/readyz</c> asks: null when ready, else what is wrong and how to fix it.</summary>
public interface IReadinessCheck
{
    string Name { get; }
    Task<string?> CheckAsync(CancellationToken ct);
}

/// <summary>The answer of <c>/healthz</c>.</summary>
public sealed record Liveness(string Status);

/// <summary>The answer of <c>/readyz</c>: <c>ready</c> and each check's <c>ok</c>.</summary>
public sealed record Readiness(string Status, IReadOnlyDictionary<string, string> Checks);

public static class HealthRoutes
{
    public static IEnumerable<RouteDef> All =>
    [
        new("Healthz", "GET", "healthz", RouteAuth.None, rc => Task.FromResult<IResult>(rc.Ok(new Liveness("ok"))))
        {
            Doc = new("Liveness") { Data = typeof(Liveness) },
        },
        new("Readyz", "GET", "readyz", RouteAuth.None, Ready)
        {
            Doc = new("Readiness: each adapter's check (503 INTERNAL_ERROR names what is wrong)") { Data = typeof(Readiness),
                ExtraErrors = [(ErrorCode.InternalError, 503)] },
        },
    ];

    private static async Task<IResult> Ready(RequestContext rc)
    {
        var checks = rc.Request.HttpContext.RequestServices.GetServices<IReadinessCheck>();
        var results = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var check in checks)
        {
            string? problem;
            try
            {
                problem = await check.CheckAsync(rc.Cancellation);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                problem = e.Message;
            }
            results[check.Name] = problem ?? "ok";
        }
        if (results.Values.All(v => v == "ok")) return rc.Ok(new Readiness("ready", results));
        var failing = string.Join("; ", results.Where(r => r.Value != "ok").Select(r => $"{r.Key}: {r.Value}"));
        throw new ApiException(ErrorCode.InternalError, "not ready: " + failing, new { checks = results }, 503);
    }
}
