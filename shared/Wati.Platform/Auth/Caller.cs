namespace Wati.Platform.Auth;

public static class Roles
{
    public const string User = "user";
    public const string Admin = "admin";
}

/// <summary>Who is calling: from an access token (<c>token</c>) or an API key (<c>key</c>).</summary>
public sealed record Caller(string UserId, string Role, string Method, string? KeyId = null)
{
    /// <summary><see cref="Method"/> of a caller authenticated by an access token.</summary>
    public const string TokenMethod = "token";

    /// <summary><see cref="Method"/> of a caller authenticated by an API key.</summary>
    public const string KeyMethod = "key";

    public bool IsAdmin => Role == Roles.Admin;
}
