using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Models;

namespace Wati.Platform.Metrics;

/// <summary>The admin view of published metrics (<c>GET /v1/admin/metrics</c>).</summary>
public static partial class MetricsRoutes
{
    /// <summary>The longest range one call may ask for.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("AdminMetrics", "GET", "v1/admin/metrics", RouteAuth.Admin, List)
        {
            Doc = new("Published metrics per bucket and route or model: count, errors, p50/p95 duration, credits; oldest first")
            {
                Description = "Buckets starting in [from, to) (RFC 3339; default the last 24 hours, at most 31 days). " +
                              "Only published (closed) buckets appear. ?model= or ?route= (not both) narrows to one model or route name.",
                Query =
                [
                    new("from", "Start of the range, RFC 3339 (inclusive)"),
                    new("to", "End of the range, RFC 3339 (exclusive); default now"),
                    new("model", "Only this model's job metrics: a name of GET /v1/models (models declared in settings are known only at run time, so no enum)"),
                    new("route", "Only this route's call metrics (a route name, or unmatched)"),
                ],
                Shape = ResponseShape.List, Data = typeof(MetricView), Paged = true,
            },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(MetricsReader Reader, TimeProvider Time, Models.Catalog.ModelCatalog Catalog);

    /// <summary>
    /// One published aggregate: the bucket (start, length in seconds), <c>kind</c> (<c>route</c> or <c>model</c>) and
    /// name; count and errors (answers ≥ 400, failed jobs); nearest-rank p50/p95 duration in milliseconds; net credits charged.
    /// </summary>
    /// <remarks>Durations are JSON numbers (they fit 32 bits, clamped); credits is int64, a string.</remarks>
    public sealed record MetricView(DateTimeOffset BucketStart, int BucketSeconds, string Kind, string Name, int Count, int Errors,
        int P50Ms, int P95Ms, long Credits);

    private static async Task<IResult> List(RequestContext rc, Deps deps)
    {
        var now = deps.Time.GetUtcNow();
        var to = Time(rc, "to") ?? now;
        var from = Time(rc, "from") ?? to - TimeSpan.FromDays(1);
        if (from >= to) throw ApiException.Validation("from must be before to", new { field = "from" });
        if (to - from > MaxRange) throw ApiException.Validation($"the range may span at most {MaxRange.TotalDays} days", new { field = "to" });

        var model = rc.Query("model");
        var route = rc.Query("route");
        if (model is not null && route is not null) throw ApiException.Validation("give model or route, not both", new { field = "route" });
        deps.Catalog.CheckName(model);
        if (route is not null && route != UsageKinds.Unmatched && RouteTable.All.All(r => r.Name != route))
            throw ApiException.Validation("route must be a route name (as in the OpenAPI operationId) or unmatched", new { field = "route" });

        var filter = model is not null ? (UsageKinds.Model, model) : route is not null ? (UsageKinds.Route, route) : ((string, string)?)null;
        var page = rc.Paging();
        var result = await deps.Reader.ReadAsync(from, to, filter, page, rc.Cancellation);
        var items = result.Items.Select(a => new MetricView(a.BucketStart, a.BucketSeconds, a.Kind, a.Name, a.Count, a.Errors,
            Ms(a.P50Ms), Ms(a.P95Ms), a.Credits)).ToList();
        return rc.List(items, result.Pagination);
    }

    private static int Ms(long ms) => (int)Math.Clamp(ms, 0, int.MaxValue);

    // RFC 3339 with a seconds field and an offset (Z or ±hh:mm); anything else is a clean 400 naming the field.
    private static DateTimeOffset? Time(RequestContext rc, string field)
    {
        if (rc.Query(field) is not { } text) return null;
        if (!Rfc3339().IsMatch(text) ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var value))
            throw ApiException.Validation($"{field} must be an RFC 3339 time such as 2026-01-31T12:00:00Z", new { field });
        return value;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
