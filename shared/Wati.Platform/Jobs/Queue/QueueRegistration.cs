using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Health;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs.Queue;

/// <summary>
/// The job queue's adapter: <c>sqlite</c> (embedded) or <c>storage</c> (Azure Storage Queues, the azure
/// profile's default). One object serves both ports.
/// </summary>
public static class QueueRegistration
{
    public const string ProviderKey = "Wati:Queue:Provider";

    /// <summary>The model queues (<see cref="Models.Catalog.ModelCatalog.Queues"/>): the one list both the queue handlers and the queues created come from.</summary>
    public static IReadOnlyList<string> ModelQueues => Models.Catalog.ModelCatalog.Queues;

    /// <summary>Every queue a consumer reads: the model queues, <c>batches</c> and <c>webhooks</c> (each with a poison queue).</summary>
    public static IReadOnlyList<string> ConsumedQueues { get; } = [.. ModelQueues, Batches.BatchesService.Queue, Webhooks.WebhookSender.Queue];

    public static IServiceCollection AddJobQueue(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = PlatformProfile.Provider(configuration, ProviderKey, "sqlite", "storage", "sqlite", "storage");
        var options = services.AddWatiOptionsWithoutAttributes<QueueOptions>(QueueOptions.Section);
        if (provider == "sqlite")
        {
            services.AddSingleton<IReadinessCheck>(sp => new QueueReadiness(sp.GetRequiredService<IJobQueueProducer>(), provider));
            services.AddSingleton(sp => new SqliteJobQueue(sp.GetRequiredService<IOptions<WatiOptions>>().Value.DataPath("queue.db"),
                sp.GetRequiredService<IOptions<QueueOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IJobQueueProducer>(sp => sp.GetRequiredService<SqliteJobQueue>());
            services.AddSingleton<IJobQueueConsumer>(sp => sp.GetRequiredService<SqliteJobQueue>());
            return services;
        }

        options.ValidateProblems((o, _) => o.Storage.Problems());
        services.AddLogging(logging => logging.AddFilter("Azure", LogLevel.Warning));
        services.AddSingleton(sp => new UndecodableMessages(sp.GetRequiredService<ILogger<UndecodableMessages>>()));
        services.AddAzureClients(azure =>
        {
            azure.AddClient<QueueServiceClient, QueueClientOptions>((_, credential, sp) =>
            {
                var o = sp.GetRequiredService<IOptions<QueueOptions>>().Value.Storage;
                var clientOptions = StorageJobQueue.ClientOptions(sp.GetRequiredService<UndecodableMessages>());
                return o.ConnectionString is { Length: > 0 } connectionString
                    ? new QueueServiceClient(connectionString, clientOptions)
                    : new QueueServiceClient(new Uri(o.Endpoint!), credential, clientOptions);
            });
            azure.UseCredential(_ => new DefaultAzureCredential());
        });
        services.AddSingleton(sp => new StorageJobQueue(sp.GetRequiredService<QueueServiceClient>(),
            sp.GetRequiredService<IOptions<QueueOptions>>().Value, sp.GetRequiredService<UndecodableMessages>()));
        services.AddSingleton<IJobQueueProducer>(sp => sp.GetRequiredService<StorageJobQueue>());
        services.AddSingleton<IJobQueueConsumer>(sp => sp.GetRequiredService<StorageJobQueue>());
        services.AddSingleton<IReadinessCheck>(sp => new StorageQueueReadiness(sp.GetRequiredService<StorageJobQueue>()));
        services.AddHostedService<StorageQueuesStartup>();
        return services;
    }
}

/// <summary>Creates every consumed queue, its poison queue and the held dead letters' queue where missing before the host serves requests.</summary>
internal sealed class StorageQueuesStartup(StorageJobQueue queue) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await queue.CreateQueuesAsync(QueueRegistration.ConsumedQueues, cancellationToken);
        await queue.CreateQueueAsync(StorageJobQueue.HeldQueue, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The embedded queue's readiness: its database answers.</summary>
internal sealed class QueueReadiness(IJobQueueProducer queue, string provider) : IReadinessCheck
{
    public string Name => "queue";

    public async Task<string?> CheckAsync(CancellationToken ct) =>
        await queue.IsReadyAsync(ct) ? null : $"the {provider} job queue is not reachable";
}

/// <summary>
/// Storage Queues' readiness: the properties of each queue the app sends to (Get Queue Metadata, a
/// queue-level data action of Storage Queue Data Contributor), never Get Queue Service Properties, which
/// needs <c>queueServices/read</c> and is refused with 403 under the app's managed identity (issue 17;
/// Xabaril/AspNetCore.Diagnostics.HealthChecks #783). Every failing queue is named.
/// </summary>
internal sealed class StorageQueueReadiness(StorageJobQueue queue) : IReadinessCheck
{
    /// <summary>The queues the platform itself sends to: one per model, batches and webhooks (not the poison queues).</summary>
    internal static IReadOnlyList<string> Queues { get; } = QueueRegistration.ConsumedQueues;

    public string Name => "queue";

    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        var problems = await Task.WhenAll(Queues.Select(q => queue.ProbeAsync(q, ct))).ConfigureAwait(false);
        var failing = problems.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return failing.Count == 0 ? null : "the storage job queue: " + string.Join(", ", failing);
    }
}
