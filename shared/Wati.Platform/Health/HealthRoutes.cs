using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;

namespace Wati.Platform.Health;

/// <summary>
/// A dependency that <c>/readyz</c> asks: null when ready, else what is wrong and how to fix it. A check
/// uses only the data-plane permissions the deployment grants (design section 19) and honours
/// its token: <see cref="ReadinessProbe"/> cancels it at its deadline.
/// </summary>
public interface IReadinessCheck
{
    /// <summary>The name <c>/readyz</c> reports it under (<c>tables</c>, <c>queue</c>, <c>objects</c>, <c>models</c>).</summary>
    string Name { get; }

    /// <summary>Null when ready; else what is wrong, naming the setting or resource to fix.</summary>
    Task<string?> CheckAsync(CancellationToken ct);
}

/// <summary>The answer of <c>/healthz</c>.</summary>
public sealed record Liveness(string Status);

/// <summary>The answer of <c>/readyz</c>: <c>ready</c> and each check's <c>ok</c>.</summary>
public sealed record Readiness(string Status, IReadOnlyDictionary<string, string> Checks);

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (every adapter answers, checked in parallel).</summary>
public static class HealthRoutes
{
    public static IEnumerable<RouteDef> All =>
    [
        // Liveness uses no service, so an adapter that cannot even be built never fails it.
        new RouteDef<NoDeps>("Healthz", "GET", "healthz", RouteAuth.None, (rc, _) => Task.FromResult<IResult>(rc.Ok(new Liveness("ok"))))
        {
            Doc = new("Liveness") { Data = typeof(Liveness) },
        },
        new RouteDef<Deps>("Readyz", "GET", "readyz", RouteAuth.None, Ready)
        {
            Doc = new("Readiness: each adapter's check (503 INTERNAL_ERROR names what is wrong)") { Data = typeof(Readiness),
                ExtraErrors = [(ErrorCode.InternalError, 503)] },
        },
    ];

    /// <summary>What <c>/readyz</c> uses.</summary>
    public sealed record Deps(ReadinessProbe Probe);

    private static async Task<IResult> Ready(RequestContext rc, Deps deps)
    {
        var results = await deps.Probe.RunAsync(rc.Cancellation);
        if (results.Values.All(v => v == "ok")) return rc.Ok(new Readiness("ready", results));
        var failing = string.Join("; ", results.Where(r => r.Value != "ok").Select(r => $"{r.Key}: {r.Value}"));
        throw new ApiException(ErrorCode.InternalError, "not ready: " + failing, new { checks = results }, 503);
    }
}
