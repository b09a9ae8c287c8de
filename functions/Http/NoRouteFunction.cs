using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>
/// What no route function takes: the envelope's 404 (unknown path) or 405 (known path, other method), as
/// <c>server/</c> answers. The host prefers every literal and parameter route to this catch-all, and
/// sends browser preflights (OPTIONS) here, where the browser policy middleware answers them first.
/// </summary>
public sealed class NoRouteFunction(HttpPipeline pipeline)
{
    [Function(nameof(NoRoute))]
    public IResult NoRoute(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = "{*path}")] HttpRequest request) =>
        pipeline.NoRoute(request.HttpContext, FunctionRoutes.PathExists(request.Path));
}
