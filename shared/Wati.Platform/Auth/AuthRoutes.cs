using System.ComponentModel;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Users;

namespace Wati.Platform.Auth;

/// <summary><c>/v1/auth/*</c> and <c>/v1/api-keys</c>.</summary>
public static class AuthRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("Register", "POST", "v1/auth/register", RouteAuth.None, Register)
        {
            Doc = new("Sign up; the signup bonus is granted") { JsonBody = typeof(RegisterBody), Data = typeof(SessionDto), SuccessStatus = 201,
                Errors = [ErrorCode.AlreadyExists, ErrorCode.RateLimitExceeded],
                Description = "429 RATE_LIMIT_EXCEEDED with Retry-After when too many passwords are being hashed at once (docs/decisions/0012 on the 409)." },
        },
        new("Login", "POST", "v1/auth/login", RouteAuth.None, Login)
        {
            Doc = new("Log in: an access token") { JsonBody = typeof(LoginBody), Data = typeof(SessionDto),
                Errors = [ErrorCode.Unauthenticated, ErrorCode.RateLimitExceeded],
                Description = "429 RATE_LIMIT_EXCEEDED with Retry-After when too many passwords are being hashed at once." },
        },
        new("CreateApiKey", "POST", "v1/api-keys", RouteAuth.Session, CreateKey)
        {
            Doc = new("Create an API key (its secret is shown this once); an access token only") { JsonBody = typeof(KeyBody), Data = typeof(NewApiKey), SuccessStatus = 201,
                Description = KeyOnlyNote },
        },
        // Listing stays open to a key: it shows names, prefixes and dates, never a secret, and changes nothing.
        new("ListApiKeys", "GET", "v1/api-keys", RouteAuth.User, ListKeys)
        {
            Doc = new("The caller's API keys, without secrets") { Shape = ResponseShape.List, Data = typeof(ApiKeyInfo), Paged = true },
        },
        new("RevokeApiKey", "DELETE", "v1/api-keys/{id}", RouteAuth.Session, RevokeKey)
        {
            Doc = new("Revoke an API key: it stops working at once; an access token only") { Data = typeof(ApiKeyInfo), Description = KeyOnlyNote },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(UsersService Users, ApiKeyService Keys);

    private const string KeyOnlyNote =
        "Not with an API key (403 PERMISSION_DENIED): a leaked key must not be able to mint keys or revoke its owner's other keys.";

    /// <summary>The body of <c>POST /v1/auth/register</c>; a missing field is "" (seed 000).</summary>
    public sealed class RegisterBody
    {
        [Description("A valid e-mail address; one account per address (409 ALREADY_EXISTS)")]
        public string Email { get; init; } = "";

        [Description("Wati:Auth:MinPasswordLength (10 by default) to 1024 characters")]
        public string Password { get; init; } = "";

        [Description("At most 100 characters; default \"\"")]
        public string DisplayName { get; init; } = "";
    }

    /// <summary>The body of <c>POST /v1/auth/login</c>.</summary>
    public sealed class LoginBody
    {
        public string Email { get; init; } = "";
        public string Password { get; init; } = "";
    }

    /// <summary>The body of <c>POST /v1/api-keys</c>.</summary>
    public sealed class KeyBody
    {
        [Description("1 to 100 characters")]
        public string Name { get; init; } = "";
    }

    public sealed record SessionDto(UserProfile User, string AccessToken, string TokenType, int ExpiresIn)
    {
        public static SessionDto From(Session s) => new(s.User, s.Token.Token, "Bearer", s.Token.ExpiresIn);
    }

    private static async Task<Microsoft.AspNetCore.Http.IResult> Register(RequestContext rc, Deps deps)
    {
        var body = await rc.ReadJsonAsync<RegisterBody>();
        var session = await deps.Users.RegisterAsync(body.Email, body.Password, body.DisplayName, rc.Cancellation);
        return rc.Created(SessionDto.From(session), rc.AbsoluteUrl("/v1/users/me"));
    }

    private static async Task<Microsoft.AspNetCore.Http.IResult> Login(RequestContext rc, Deps deps)
    {
        var body = await rc.ReadJsonAsync<LoginBody>();
        return rc.Ok(SessionDto.From(await deps.Users.LoginAsync(body.Email, body.Password, rc.Cancellation)));
    }

    private static async Task<Microsoft.AspNetCore.Http.IResult> CreateKey(RequestContext rc, Deps deps)
    {
        var body = await rc.ReadJsonAsync<KeyBody>();
        var key = await deps.Keys.CreateAsync(rc.Caller.UserId, body.Name, rc.Cancellation);
        return rc.Created(key);
    }

    private static async Task<Microsoft.AspNetCore.Http.IResult> ListKeys(RequestContext rc, Deps deps)
    {
        var page = await deps.Keys.ListAsync(rc.Caller.UserId, rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static async Task<Microsoft.AspNetCore.Http.IResult> RevokeKey(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Keys.RevokeAsync(rc.Caller.UserId, rc.Args["id"], rc.Cancellation));
}
