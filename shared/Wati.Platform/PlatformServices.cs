using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Auth;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Data.Sqlite;
using Wati.Platform.Health;
using Wati.Platform.Http;
using Wati.Platform.Storage;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Models.Replicate;
using Wati.Platform.Uploads;
using Wati.Platform.Users;

namespace Wati.Platform;

/// <summary>The composition both hosts share: options, adapters by profile, services, HTTP pipeline.</summary>
public static class PlatformServices
{
    public static IServiceCollection AddWatiPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddWatiOptions<WatiOptions>(WatiOptions.Section);
        services.AddWatiOptions<BootstrapOptions>(BootstrapOptions.Section);
        services.AddWatiOptions<AuthOptions>(AuthOptions.Section);
        services.AddWatiOptions<CreditsOptions>(CreditsOptions.Section);
        services.AddWatiOptions<UploadOptions>(UploadOptions.Section);
        services.AddWatiOptions<JobsOptions>(JobsOptions.Section);
        services.AddWatiOptions<ModelsOptions>(ModelsOptions.Section);
        services.AddWatiOptions<QueueOptions>(QueueOptions.Section);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IIdGenerator, RandomIdGenerator>();
        services.AddSingleton<KeyedLock>();
        services.AddHttpContextAccessor();
        services.AddSingleton<IPublicBaseUrl, RequestBaseUrl>();

        services.AddEmbeddedAdapters(configuration);

        services.AddSingleton(sp => new SigningKey(ResolveSigningKey(sp.GetRequiredService<IOptions<AuthOptions>>().Value,
            sp.GetRequiredService<IOptions<WatiOptions>>().Value)));
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<CreditsService>();
        services.AddSingleton<UsersService>();
        services.AddSingleton<Manifest.CatalogService>();
        services.AddHostedService<AdminBootstrap>();

        services.AddSingleton<ModelPipeline>();
        services.AddSingleton<JobNotifier>();
        services.AddSingleton<JobsService>();
        services.AddSingleton<JobProcessor>();
        services.AddSingleton<ModelSlots>();
        services.AddSingleton<ActiveJobIndex>();
        services.AddSingleton<JobSweeper>();

        services.AddSingleton<ErrorTranslator>();
        services.AddSingleton<HttpPipeline>();
        return services;
    }

    private static void AddEmbeddedAdapters(this IServiceCollection services, IConfiguration configuration)
    {
        var profile = configuration[$"{WatiOptions.Section}:Profile"] ?? "embedded";
        if (!profile.Equals("embedded", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"Wati:Profile '{profile}' is not available in this build; use 'embedded' (the Azure adapters come with the Functions app).");

        services.AddSingleton<ITableStore>(sp => new SqliteTableStore(Wati(sp).DataPath("tables.db")));
        services.AddSingleton<IReadinessCheck, TableStoreReadiness>();
        services.AddSingleton<IObjectStore>(sp => new FileSystemObjectStore(Wati(sp).DataPath("files"),
            ResolveFilesKey(sp.GetRequiredService<IConfiguration>(), Wati(sp)), sp.GetRequiredService<IPublicBaseUrl>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IReadinessCheck, ObjectStoreReadiness>();
        services.AddSingleton(sp => new SqliteJobQueue(Wati(sp).DataPath("queue.db"),
            sp.GetRequiredService<IOptions<QueueOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IJobQueueProducer>(sp => sp.GetRequiredService<SqliteJobQueue>());
        services.AddSingleton<IJobQueueConsumer>(sp => sp.GetRequiredService<SqliteJobQueue>());
        services.AddSingleton<IReadinessCheck, QueueReadiness>();

        var provider = configuration[$"{ModelsOptions.Section}:Provider"] ?? "local";
        if (provider.Equals("replicate", StringComparison.OrdinalIgnoreCase)) services.AddReplicateModelProvider();
        else if (!provider.Equals("local", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Wati:Models:Provider '{provider}' is not available in this build; use 'local' or 'replicate'.");
        else services.AddSingleton<IModelProvider>(sp => new LocalModelProvider(sp.GetRequiredService<IOptions<ModelsOptions>>().Value.ConcurrentRuns,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<LocalModelProvider>>()));
        services.AddSingleton<IReadinessCheck, ModelReadiness>();
    }

    private static WatiOptions Wati(IServiceProvider sp) => sp.GetRequiredService<IOptions<WatiOptions>>().Value;

    private static byte[] ResolveFilesKey(IConfiguration configuration, WatiOptions wati) =>
        configuration["Wati:Storage:SigningKey"] is { Length: > 0 } configured
            ? DataKeys.FromConfigured(configured)
            : DataKeys.LoadOrCreate(wati.DataPath(), "files-signing.key");

    private static OptionsBuilder<T> AddWatiOptions<T>(this IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    private static byte[] ResolveSigningKey(AuthOptions auth, WatiOptions wati)
    {
        if (!string.IsNullOrEmpty(auth.SigningKey))
        {
            var configured = DataKeys.FromConfigured(auth.SigningKey);
            return configured.Length >= 32
                ? configured
                : throw new InvalidOperationException("Wati:Auth:SigningKey must be at least 32 bytes");
        }
        return DataKeys.LoadOrCreate(wati.DataPath(), "jwt-signing.key");
    }
}

internal sealed class TableStoreReadiness(ITableStore store) : IReadinessCheck
{
    public string Name => "tables";

    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        await store.GetAsync("users", "readiness", "probe", ct);
        return null;
    }
}

internal sealed class ObjectStoreReadiness(IObjectStore store) : IReadinessCheck
{
    public string Name => "objects";

    public async Task<string?> CheckAsync(CancellationToken ct) =>
        await store.IsReadyAsync(ct) ? null : "the object store cannot be written";
}

internal sealed class QueueReadiness(IJobQueueProducer queue) : IReadinessCheck
{
    public string Name => "queue";

    public async Task<string?> CheckAsync(CancellationToken ct) => await queue.IsReadyAsync(ct) ? null : "the job queue is not reachable";
}

internal sealed class ModelReadiness(IModelProvider provider) : IReadinessCheck
{
    public string Name => "models";

    public Task<string?> CheckAsync(CancellationToken ct) => provider.CheckAsync(ct);
}
