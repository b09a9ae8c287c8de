using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Auth;
using Wati.Platform.Metrics;
using Wati.Platform.Storage;

namespace Wati.Platform.Http;

/// <summary>
/// What every route goes through, in either host: request id, authentication for the route's level,
/// the handler, and the one error translator. A host only supplies the request and route values.
/// A route's dependencies are resolved from the container this singleton came from, once, the first time
/// the route runs (<see cref="RouteDef.Bind"/>): the platform registers no scoped service, so no
/// per-request scope is needed (and none is created unless a host asks for one).
/// </summary>
public sealed class HttpPipeline(Authenticator authenticator, ErrorTranslator errors, UsageRecorder usage, IPublicBaseUrl baseUrl,
    IServiceProvider services)
{
    private readonly ConcurrentDictionary<RouteDef, RouteHandler> _handlers = new(ReferenceEqualityComparer.Instance);

    public async Task<IResult> RunAsync(RouteDef route, HttpRequest request, RouteArgs args, CancellationToken ct)
    {
        var requestId = RequestIds.Ensure(request.HttpContext);
        var started = usage.Start();
        Caller? caller = null;
        IResult result;
        try
        {
            if (route.Auth != RouteAuth.None)
            {
                caller = await authenticator.AuthenticateAsync(request, ct);
                if (route.Auth == RouteAuth.Admin && !caller.IsAdmin)
                    throw new ApiException(ErrorCode.PermissionDenied, "this route is for administrators");
                if (route.Auth == RouteAuth.Session && caller.Method != Caller.TokenMethod)
                    throw new ApiException(ErrorCode.PermissionDenied,
                        "this route takes an access token from POST /v1/auth/login, not an API key (API keys cannot manage keys or the webhook secret)");
            }
            else if (request.Headers.Authorization.Count > 0)
            {
                // Public routes still recognise a caller when one is given, but never require it.
                caller = await authenticator.TryAuthenticateAsync(request, ct);
            }

            var handler = _handlers.GetOrAdd(route, static (r, container) => r.Bind(container), services);
            result = await handler(new RequestContext(request, args, requestId, caller, ct, baseUrl));
        }
        catch (Exception ex)
        {
            result = errors.ToResult(ex, requestId, request.HttpContext);
        }
        // Every call is tallied for usage (Metrics/) once the answer is written; never slows or fails it.
        return usage.Track(route, started, caller?.UserId, result);
    }

    /// <summary>
    /// The envelope for a path no route has (404, <paramref name="allowed"/> empty) or a method the path's routes
    /// lack (405): its <c>Allow</c> header lists the methods the path has (RFC 9110, section 15.5.6: an origin
    /// server MUST send one with a 405), and so does <c>details.allowed</c>.
    /// </summary>
    public IResult NoRoute(HttpContext context, IReadOnlyCollection<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(allowed);
        var requestId = RequestIds.Ensure(context);
        if (allowed.Count == 0) return usage.TrackUnmatched(usage.Start(), errors.Error(requestId, ErrorCode.NotFound, "route not found"));
        var methods = allowed.Select(m => m.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var error = new ApiException(ErrorCode.MethodNotAllowed, $"{context.Request.Method} is not allowed on this route; it takes {string.Join(", ", methods)}",
            new { allowed = methods });
        error.Headers["Allow"] = string.Join(", ", methods);
        return usage.TrackUnmatched(usage.Start(), errors.ToResult(error, requestId, context));
    }
}
