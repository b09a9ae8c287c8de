using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;
using Wati.Platform.Models.Catalog;

namespace Wati.Functions.Http;

/// <summary>
/// What no route function takes: the envelope's 404 (unknown path) or 405 (known path, other method), as
/// <c>server/</c> answers. It sends browser preflights (OPTIONS) here, where the browser policy
/// middleware answers them first. Route order (issue 17): the Functions host does not use endpoint
/// routing; its HTTP extension's <c>WebJobsRouteBuilder.Build()</c> sorts the function routes (segment by
/// segment: literal before parameter, more inline constraints first, then text, longer first) into a
/// <c>RouteCollection</c> tried in that order. <c>{*path}</c> starts with an unconstrained parameter, so it
/// sorts after every route of ours (each starts with a literal) whatever the function names, and a route
/// whose method does not match falls through to it. FunctionsMetadataTests holds this on the built metadata.
/// It also serves the own routes of models declared in settings (<see cref="DeclaredRoutes"/>): function routes are
/// fixed at build time, and those are known only once configuration is read.
/// </summary>
public sealed class NoRouteFunction(HttpPipeline pipeline, DeclaredRoutes declared)
{
    [Function(nameof(NoRoute))]
    public async Task<IResult> NoRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request,
        CancellationToken ct)
    {
        if (declared.Find(request.Path) is not { } route)
            return pipeline.NoRoute(request.HttpContext, FunctionRoutes.MethodsOf(request.Path));
        if (!HttpMethods.Equals(request.Method, route.Method)) return pipeline.NoRoute(request.HttpContext, [route.Method]);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, request.HttpContext.RequestAborted);
        return await pipeline.RunAsync(route, request, RouteArgs.Empty, both.Token);
    }
}
