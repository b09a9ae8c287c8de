using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Common;
using Wati.Platform.Health;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Local;

namespace Wati.Platform.Models;

/// <summary>The model provider. Only <c>local</c> (libvips) exists yet, so both profiles default to it.</summary>
public static class ModelsRegistration
{
    public static IServiceCollection AddModelProvider(this IServiceCollection services, IConfiguration configuration)
    {
        PlatformProfile.Provider(configuration, "Wati:Models:Provider", "local", "local", "local");
        services.AddWatiOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddSingleton<IModelProvider>(_ => new LocalModelProvider());
        services.AddSingleton<IReadinessCheck, ModelReadiness>();
        return services;
    }
}

internal sealed class ModelReadiness(IModelProvider provider) : IReadinessCheck
{
    public string Name => "models";

    public Task<string?> CheckAsync(CancellationToken ct) => provider.CheckAsync(ct);
}
