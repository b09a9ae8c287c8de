using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Wati.Platform.Common;

/// <summary>
/// Picks each port's adapter (design section 7): <c>Wati:Profile</c> (<c>embedded</c> | <c>azure</c>)
/// sets the defaults, and each port's <c>Provider</c> key overrides its own. Read while composing, so a
/// wrong value stops the host at start with a message naming the key.
/// </summary>
public static class PlatformProfile
{
    public const string Embedded = "embedded";
    public const string Azure = "azure";
    public const string Key = "Wati:Profile";

    /// <summary>The profile, lower case.</summary>
    /// <exception cref="InvalidOperationException">Neither <c>embedded</c> nor <c>azure</c>.</exception>
    public static string Of(IConfiguration configuration)
    {
        var profile = (configuration[Key] is { Length: > 0 } p ? p : Embedded).Trim().ToLowerInvariant();
        return profile is Embedded or Azure
            ? profile
            : throw new InvalidOperationException($"{Key} '{configuration[Key]}' is not a profile: use '{Embedded}' or '{Azure}'.");
    }

    /// <summary>
    /// The profile as the host's configuration says, for start-up checks: read from configuration rather
    /// than from the bound options so that one check failing does not hide the others.
    /// </summary>
    public static bool IsAzure(IServiceProvider services) =>
        Of(services.GetRequiredService<IConfiguration>()) == Azure;

    /// <summary>
    /// The adapter configured at <paramref name="key"/>, else the profile's default; lower case.
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is not one of <paramref name="known"/>.</exception>
    public static string Provider(IConfiguration configuration, string key, string embeddedDefault, string azureDefault, params string[] known)
    {
        var value = configuration[key] is { Length: > 0 } v
            ? v.Trim().ToLowerInvariant()
            : Of(configuration) == Azure ? azureDefault : embeddedDefault;
        return known.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new InvalidOperationException($"{key} '{configuration[key]}' is not available in this build; use one of: {string.Join(", ", known)}.");
    }
}
