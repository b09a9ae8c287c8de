using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Auth;

/// <summary>Accounts' credentials: options, the token signing key, hashing, tokens and API keys.</summary>
public static class AuthRegistration
{
    private const string SigningKeyKey = "Wati:Auth:SigningKey";

    public static IServiceCollection AddAuth(this IServiceCollection services)
    {
        services.AddWatiOptions<AuthOptions, AuthOptionsValidator>(AuthOptions.Section)
            .ValidateProblems((o, sp) => DataKeys.Problem(o.SigningKey, SigningKeyKey, PlatformProfile.IsAzure(sp)) is { } p ? [p] : []);
        services.AddSingleton(sp => new SigningKey(DataKeys.Resolve(
            sp.GetRequiredService<IOptions<AuthOptions>>().Value.SigningKey, SigningKeyKey, Wati(sp), "jwt-signing.key")));
        services.AddSingleton<PasswordGate>();
        services.AddSingleton(sp => new PasswordHasher(sp.GetRequiredService<IOptions<AuthOptions>>(), sp.GetRequiredService<PasswordGate>()));
        services.AddSingleton<TokenService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<Authenticator>();
        return services;
    }

    private static WatiOptions Wati(IServiceProvider sp) => sp.GetRequiredService<IOptions<WatiOptions>>().Value;
}
