using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Wati.Platform.Auth;

public sealed record AccessToken(string Token, int ExpiresIn);

/// <summary>
/// HMAC-SHA256 JWT access tokens: issuer, audience, algorithm and lifetime are all checked, the
/// lifetime against <see cref="TimeProvider"/> so tests can move the clock.
/// </summary>
public sealed class TokenService
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    // Tokens cannot be revoked, so a validation holds until the token expires; it is remembered a few
    // seconds (AuthCache.Lifetime, well inside the 30 s clock skew) to spare a busy caller the HMAC and parse.
    // Only successes, keyed by the token's SHA-256: a flood of bogus tokens (up to 4 KB each) leaves
    // nothing behind (issue 24 finding 2).
    private readonly AuthCache<Caller?> _validated;

    public TokenService(IOptions<AuthOptions> options, SigningKey key, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _validated = new AuthCache<Caller?>(time);
        var securityKey = new SymmetricSecurityKey(key.Bytes);
        _credentials = new SigningCredentials(securityKey, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKey = securityKey,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateLifetime = true,
            LifetimeValidator = ValidateLifetime,
        };
    }

    public AccessToken Issue(string userId, string role)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var lifetime = TimeSpan.FromMinutes(_options.TokenLifetimeMinutes);
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId,
                ["role"] = role,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = _credentials,
        });
        return new AccessToken(token, (int)lifetime.TotalSeconds);
    }

    /// <summary>The caller a token names, or null when it is not one of ours or no longer valid.</summary>
    public async ValueTask<Caller?> ValidateAsync(string token) =>
        await _validated.GetOrLoadAsync(DigestOf(token), (Self: this, Token: token), static (s, _) => s.Self.ValidateUncachedAsync(s.Token),
            CancellationToken.None, remember: static caller => caller is not null);

    /// <summary>The number of validations remembered now (successes only): for tests and diagnostics.</summary>
    public int RememberedValidations => _validated.Count;

    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 bytes: the cache key, 64 characters whatever the token's length.</summary>
    private static string DigestOf(string token)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(token);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(utf8));
    }

    private async Task<Caller?> ValidateUncachedAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid) return null;
        return result.Claims.TryGetValue(JwtRegisteredClaimNames.Sub, out var sub) && sub is string userId &&
               result.Claims.TryGetValue("role", out var role) && role is string roleName
            ? new Caller(userId, roleName, Caller.TokenMethod)
            : null;
    }

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters p)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now < exp + ClockSkew && (notBefore is not { } nbf || now >= nbf - ClockSkew);
    }
}

/// <summary>The token signing key, from configuration or the data folder (see <see cref="Common.DataKeys"/>).</summary>
public sealed record SigningKey(byte[] Bytes);
