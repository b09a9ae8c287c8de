using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Health;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;

namespace Wati.Platform.Models;

/// <summary>The model provider: <c>local</c> (libvips, embedded) or <c>replicate</c> (the azure profile's default).</summary>
public static class ModelsRegistration
{
    public const string ProviderKey = "Wati:Models:Provider";

    public static IServiceCollection AddModelProvider(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = PlatformProfile.Provider(configuration, ProviderKey, "local", "replicate", "local", "replicate");
        services.AddWatiOptions<ModelsOptions, ModelsOptionsValidator>(ModelsOptions.Section);
        services.AddSingleton<IReadinessCheck, ModelReadiness>();
        if (provider == "replicate")
        {
            // Beside the token check above: each configured model (or version) looked up, and the faults jobs met.
            services.AddSingleton<IReadinessCheck, ReplicateReadiness>();
            return services.AddReplicateModelProvider();
        }
        return services.AddSingleton<IModelProvider>(sp => new LocalModelProvider(
            sp.GetRequiredService<IOptions<ModelsOptions>>().Value.ConcurrentRuns, sp.GetRequiredService<ILogger<LocalModelProvider>>(),
            sp.GetRequiredService<IOptions<Uploads.UploadOptions>>().Value.ToDecodeLimits(), sp.GetRequiredService<Catalog.ModelCatalog>()));
    }

    /// <summary>
    /// Refuses to start when one model run (<see cref="ModelTimeBudget.Worst"/>) cannot fit in
    /// <paramref name="functionTimeout"/> (the Functions host's <c>functionTimeout</c>; null: no limit).
    /// The Functions worker calls it with <see cref="ModelTimeBudget.FunctionTimeoutOf"/>.
    /// </summary>
    public static IServiceCollection AddModelTimeBudget(this IServiceCollection services, TimeSpan? functionTimeout)
    {
        services.AddOptions<ModelsOptions>().ValidateProblems((o, _) => ModelTimeBudget.Problems(o, functionTimeout)).ValidateOnStart();
        return services;
    }
}

internal sealed class ModelReadiness(IModelProvider provider) : IReadinessCheck
{
    public string Name => "models";

    public Task<string?> CheckAsync(CancellationToken ct) => provider.CheckAsync(ct);
}
