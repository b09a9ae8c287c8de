using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Auth;

/// <summary>
/// One authenticator for every route: <c>Authorization: Bearer</c> with either an access token or an
/// API key (recognised by its <c>wati_</c> prefix).
/// </summary>
public sealed class Authenticator(TokenService tokens, ApiKeyService keys, ITableStore store, TimeProvider time)
{
    // A key's owner's role (null: no such user), remembered a few seconds: roles are set at sign-up.
    private readonly AuthCache<string?> _roles = new(time);

    public async ValueTask<Caller> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0) throw new ApiException(ErrorCode.Unauthenticated, "missing Authorization: Bearer <token or API key>");
        return await TryAuthenticateAsync(request, ct)
               ?? throw new ApiException(ErrorCode.Unauthenticated, "invalid, expired or revoked token or API key");
    }

    public async ValueTask<Caller?> TryAuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var credential = header[scheme.Length..].Trim();
        if (credential.Length is 0 or > 4096) return null;

        if (credential.StartsWith(ApiKeyService.KeyPrefix, StringComparison.Ordinal))
        {
            if (await keys.ResolveAsync(credential, ct) is not { } owner) return null;
            // A key carries no role; the profile is the truth, and a deleted user's keys stop working.
            var role = await _roles.GetOrLoadAsync(owner.UserId, (Store: store, owner.UserId), static async (s, token) =>
                await s.Store.GetAsync(Users.UsersService.UsersTable, s.UserId, Users.UsersService.ProfileRow, token) is { } profile
                    ? profile.GetString("role") ?? Roles.User
                    : null, ct);
            return role is null ? null : new Caller(owner.UserId, role, Caller.KeyMethod, owner.KeyId);
        }
        return await tokens.ValidateAsync(credential);
    }
}
