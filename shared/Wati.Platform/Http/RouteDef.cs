using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Wati.Platform.Http;

/// <summary>Who may call a route.</summary>
public enum RouteAuth
{
    /// <summary>Anyone.</summary>
    None,

    /// <summary>A valid access token or API key.</summary>
    User,

    /// <summary>A valid token or key of an admin.</summary>
    Admin,

    /// <summary>
    /// An access token only (from log-in): an API key is refused with PERMISSION_DENIED, so a leaked key
    /// cannot mint keys, revoke its owner's keys or take the webhook secret (issue 24 finding 6; a
    /// <c>keys:manage</c> scope may open these to keys once keys carry scopes).
    /// </summary>
    Session,
}

/// <summary>A route's handler bound to its dependencies (<see cref="RouteDef.Bind"/>): what the pipeline calls.</summary>
public delegate Task<IResult> RouteHandler(RequestContext rc);

/// <summary>
/// A route's handler: the call, and its module's dependencies (<typeparamref name="TDeps"/>, a small record
/// of the services it uses) injected, so the signature shows what the route touches.
/// </summary>
public delegate Task<IResult> RouteHandler<in TDeps>(RequestContext rc, TDeps deps);

/// <summary>
/// One HTTP route: both hosts map exactly these. <see cref="Template"/> uses ASP.NET Core route syntax
/// without a leading slash; route values (<c>{id}</c>) reach the handler through <see cref="RouteArgs"/>.
/// <see cref="Doc"/> describes it for the OpenAPI document (<see cref="OpenApi.ApiDocument"/>), which
/// refuses a route without one.
/// </summary>
public abstract record RouteDef(string Name, string Method, string Template, RouteAuth Auth)
{
    /// <summary>What the OpenAPI document says about this route.</summary>
    public RouteDoc? Doc { get; init; }

    /// <summary>
    /// The handler with its dependencies resolved from <paramref name="services"/>, the root container
    /// (every platform service is a singleton): done once per route, so a request resolves nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A dependency is not registered.</exception>
    public abstract RouteHandler Bind(IServiceProvider services);
}

/// <summary>A route whose handler takes the dependencies <typeparamref name="TDeps"/>, built from the container by its constructor.</summary>
public sealed record RouteDef<TDeps>(string Name, string Method, string Template, RouteAuth Auth, RouteHandler<TDeps> Handler)
    : RouteDef(Name, Method, Template, Auth) where TDeps : class
{
    /// <inheritdoc />
    public override RouteHandler Bind(IServiceProvider services)
    {
        var deps = ActivatorUtilities.CreateInstance<TDeps>(services);
        var handler = Handler;
        return rc => handler(rc, deps);
    }
}

/// <summary>The dependencies of a route that uses no service.</summary>
public sealed class NoDeps;

/// <summary>Route values passed in by the host (Kestrel's route values, or a function's bound parameters).</summary>
public sealed class RouteArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public static RouteArgs Empty => new();

    public RouteArgs(params (string Name, string? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (value is not null) _values[name] = value;
        }
    }

    public static RouteArgs From(IEnumerable<KeyValuePair<string, object?>> values)
    {
        var args = new RouteArgs();
        foreach (var (name, value) in values)
        {
            if (value?.ToString() is { } text) args._values[name] = text;
        }
        return args;
    }

    /// <summary>A required route value; a route without it is not this route, so NOT_FOUND.</summary>
    public string this[string name] =>
        _values.TryGetValue(name, out var v) && v.Length > 0
            ? v
            : throw new Wati.Envelope.ApiException(Wati.Envelope.ErrorCode.NotFound, "route not found");
}
