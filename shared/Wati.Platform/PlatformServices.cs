using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Auth;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Health;
using Wati.Platform.Http;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Manifest;
using Wati.Platform.Metrics;
using Wati.Platform.Models;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;
using Wati.Platform.Users;

namespace Wati.Platform;

/// <summary>
/// The composition both hosts share. Each port's adapter is chosen in its own feature folder from
/// <c>Wati:Profile</c> and that port's <c>Provider</c> key (<see cref="PlatformProfile"/>); every
/// options section is validated at start, with messages naming the key.
/// </summary>
public static class PlatformServices
{
    public static IServiceCollection AddWatiPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        PlatformProfile.Of(configuration);
        services.AddWatiOptions<WatiOptions, WatiOptionsValidator>(WatiOptions.Section).ValidateProblems((o, _) => o.Problems());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IIdGenerator, RandomIdGenerator>();
        services.AddSingleton<KeyedLock>();
        services.AddHttpContextAccessor();
        services.AddHostedService<DataFolderTightener>(); // first: older data folders made private before anything else starts

        // Ports and their adapters.
        services.AddTables(configuration);
        services.AddObjectStorage(configuration);
        services.AddJobQueue(configuration);
        services.AddDeclaredModels(configuration);
        services.AddModelCatalog();
        services.AddModelProvider(configuration);

        // Features.
        services.AddAuth();
        services.AddWatiOptions<CreditsOptions, CreditsOptionsValidator>(CreditsOptions.Section);
        services.AddSingleton<CreditsService>();
        services.AddWatiOptionsWithoutAttributes<BootstrapOptions>(BootstrapOptions.Section);
        services.AddSingleton<UsersService>();
        services.AddHostedService<AdminBootstrap>();
        services.AddSingleton<ManifestService>();
        services.AddWatiOptions<UploadOptions, UploadOptionsValidator>(UploadOptions.Section);
        services.AddSingleton<UploadsService>();
        services.AddSingleton<DecodeGate>();
        services.AddSingleton<InputSources>();
        services.AddSingleton<UploadFormReader>();
        services.AddWatiOptions<JobsOptions, JobsOptionsValidator>(JobsOptions.Section);
        services.AddSingleton<ModelPipeline>();
        services.AddSingleton<JobNotifier>();
        services.AddSingleton<JobsService>();
        services.AddSingleton<JobProcessor>();
        services.AddSingleton<ModelSlots>();
        services.AddSingleton<ActiveJobIndex>();
        services.AddSingleton<JobSweeper>();
        services.AddMetrics(configuration);
        services.AddWatiOptions<Batches.BatchesOptions, BatchesOptionsValidator>(Batches.BatchesOptions.Section);
        services.AddSingleton<Batches.BatchValidator>();
        services.AddSingleton<Batches.BatchesService>();
        services.AddSingleton<Batches.BatchFeeder>();
        services.AddWatiOptions<Webhooks.WebhooksOptions, WebhooksOptionsValidator>(Webhooks.WebhooksOptions.Section);
        services.AddSingleton<Webhooks.WebhookSecrets>();
        services.AddSingleton<Webhooks.WebhookSender>();

        // Queue handlers (the polling host's QueuePump and the Functions host's triggers call them) and periodic tasks
        // (the polling host's PeriodicRunner and the Functions host's timers call them): docs/decisions/0007.
        foreach (var queue in QueueRegistration.ModelQueues) services.AddQueueHandler<JobProcessor>(queue);
        services.AddQueueHandler<Batches.BatchFeeder>(Batches.BatchesService.Queue);
        services.AddQueueHandler<Webhooks.WebhookSender>(Webhooks.WebhookSender.Queue);
        services.AddSingleton<QueueDelivery>();
        services.AddSingleton<PlatformTasks>();
        services.AddSingleton<IEnumerable<IPeriodicTask>>(sp => sp.GetRequiredService<PlatformTasks>().All);

        // HTTP: one translator writes every error envelope.
        services.AddSingleton<ErrorTranslator>();
        services.AddSingleton<HttpPipeline>();
        services.AddReadiness();

        // Last: checks over every setting, and one start-up message listing every problem.
        services.AddSettingsChecks();
        return services;
    }
}
