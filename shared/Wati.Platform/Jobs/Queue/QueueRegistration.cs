using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Health;

namespace Wati.Platform.Jobs.Queue;

/// <summary>The job queue's adapter. Only <c>sqlite</c> exists yet, so both profiles default to it.</summary>
public static class QueueRegistration
{
    public const string ProviderKey = "Wati:Queue:Provider";

    public static IServiceCollection AddJobQueue(this IServiceCollection services, IConfiguration configuration)
    {
        PlatformProfile.Provider(configuration, ProviderKey, "sqlite", "sqlite", "sqlite");
        services.AddWatiOptions<QueueOptions>(QueueOptions.Section);
        services.AddSingleton<IJobQueue>(sp => new SqliteJobQueue(sp.GetRequiredService<IOptions<WatiOptions>>().Value.DataPath("queue.db"),
            sp.GetRequiredService<IOptions<QueueOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IReadinessCheck, QueueReadiness>();
        return services;
    }
}

internal sealed class QueueReadiness(IJobQueue queue) : IReadinessCheck
{
    public string Name => "queue";

    public async Task<string?> CheckAsync(CancellationToken ct) => await queue.IsReadyAsync(ct) ? null : "the job queue is not reachable";
}
