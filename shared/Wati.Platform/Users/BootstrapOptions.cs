namespace Wati.Platform.Users;

/// <summary>The admin created at start-up (<c>Wati:Bootstrap:*</c>) when both are set and it does not exist.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "Wati:Bootstrap";

    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
}
