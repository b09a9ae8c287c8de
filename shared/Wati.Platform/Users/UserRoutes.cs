using Microsoft.AspNetCore.Http;
using Wati.Platform.Http;

namespace Wati.Platform.Users;

/// <summary><c>/v1/users/*</c>.</summary>
public static class UserRoutes
{
    public static IEnumerable<RouteDef> All =>
    [
        new("GetMe", "GET", "v1/users/me", RouteAuth.User, Me) { Doc = new("The caller's profile") { Data = typeof(UserProfile), Errors = [Wati.Envelope.ErrorCode.NotFound] } },
    ];

    private static async Task<IResult> Me(RequestContext rc) =>
        rc.Ok(await rc.Service<UsersService>().GetAsync(rc.Caller.UserId, rc.Cancellation));
}
