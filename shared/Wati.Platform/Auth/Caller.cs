namespace Wati.Platform.Auth;

public static class Roles
{
    public const string User = "user";
    public const string Admin = "admin";
}

/// <summary>Who is calling: from an access token (<c>token</c>) or an API key (<c>key</c>).</summary>
public sealed record Caller(string UserId, string Role, string Method, string? KeyId = null)
{
    public bool IsAdmin => Role == Roles.Admin;
}
