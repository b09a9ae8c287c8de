using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>What the HTTP functions share: the routes this app serves, and one call into the shared pipeline.</summary>
public static class FunctionRoutes
{
    /// <summary>
    /// Every route of <see cref="RouteTable.All"/> but <c>files/{**key}</c>: the filesystem store that
    /// serves it is the embedded profile's, and the azure profile links straight to S3/R2.
    /// </summary>
    public static IReadOnlyList<RouteDef> Served { get; } = RouteTable.All.Where(r => r.Name != EmbeddedOnly).ToArray();

    /// <summary>The route only the embedded profile serves.</summary>
    public const string EmbeddedOnly = "GetFile";

    private static readonly (RouteDef Route, TemplateMatcher Matcher)[] Matchers =
        Served.Select(r => (r, new TemplateMatcher(TemplateParser.Parse(r.Template), new RouteValueDictionary()))).ToArray();

    /// <summary>Runs the route named <paramref name="name"/> with the route values the function bound.</summary>
    /// <exception cref="KeyNotFoundException">No route has that name (a function out of step with the table).</exception>
    public static async Task<IResult> RunAsync(this HttpPipeline pipeline, string name, HttpRequest request, CancellationToken ct,
        params (string Name, string? Value)[] values)
    {
        // The invocation's token (host shutdown, function timeout) and the client's disconnect both stop the wait.
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, request.HttpContext.RequestAborted);
        return await pipeline.RunAsync(RouteTable.Get(name), request, new RouteArgs(values), both.Token);
    }

    /// <summary>The methods the served routes of <paramref name="path"/> take: empty when none has it (then 404, else a wrong method is 405).</summary>
    public static IReadOnlyCollection<string> MethodsOf(PathString path) =>
        [.. Matchers.Where(m => m.Matcher.TryMatch(path, new RouteValueDictionary())).Select(m => m.Route.Method).Distinct(StringComparer.Ordinal)];
}
