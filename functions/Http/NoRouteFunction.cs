using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

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
/// </summary>
public sealed class NoRouteFunction(HttpPipeline pipeline)
{
    [Function(nameof(NoRoute))]
    public IResult NoRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request) =>
        pipeline.NoRoute(request.HttpContext, FunctionRoutes.PathExists(request.Path));
}
