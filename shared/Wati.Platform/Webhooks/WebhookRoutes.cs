using Microsoft.AspNetCore.Http;
using Wati.Platform.Http;

namespace Wati.Platform.Webhooks;

/// <summary><c>/v1/webhooks/secret</c>: the caller's signing secret for webhook deliveries, and its rotation.</summary>
public static class WebhookRoutes
{
    /// <summary>The signing secret (<c>whsec_…</c>).</summary>
    public sealed record SecretDto(string Secret);

    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("GetWebhookSecret", "GET", "v1/webhooks/secret", RouteAuth.Session,
            async (rc, deps) => rc.Ok(new SecretDto(await deps.Secrets.GetAsync(rc.Caller.UserId, rc.Cancellation))))
        {
            Doc = new("The secret webhook deliveries are signed with (created on first read); an access token only") { Data = typeof(SecretDto),
                Description = "Not with an API key (403 PERMISSION_DENIED): whoever holds the secret can sign deliveries to your receiver." },
        },
        new("RotateWebhookSecret", "POST", "v1/webhooks/secret/rotate", RouteAuth.Session,
            async (rc, deps) => rc.Ok(new SecretDto(await deps.Secrets.RotateAsync(rc.Caller.UserId, rc.Cancellation))))
        {
            Doc = new("Replace the signing secret; deliveries from now on use the new one; an access token only") { Data = typeof(SecretDto),
                Description = "Not with an API key (403 PERMISSION_DENIED)." },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(WebhookSecrets Secrets);
}
