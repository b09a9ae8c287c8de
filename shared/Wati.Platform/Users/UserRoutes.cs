using Microsoft.AspNetCore.Http;
using Wati.Platform.Http;

namespace Wati.Platform.Users;

/// <summary><c>/v1/users/*</c>.</summary>
public static class UserRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("GetMe", "GET", "v1/users/me", RouteAuth.User, Me) { Doc = new("The caller's profile") { Data = typeof(UserProfile), Errors = [Wati.Envelope.ErrorCode.NotFound] } },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(UsersService Users);

    private static async Task<IResult> Me(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Users.GetAsync(rc.Caller.UserId, rc.Cancellation));
}
