using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Data.Azure;
using Wati.Platform.Data.Sqlite;
using Wati.Platform.Health;

namespace Wati.Platform.Data;

/// <summary>The table-store port's adapter: <c>sqlite</c> (embedded) or <c>azure</c> (Table Storage).</summary>
public static class TablesRegistration
{
    public const string ProviderKey = "Wati:Tables:Provider";

    public static IServiceCollection AddTables(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = PlatformProfile.Provider(configuration, ProviderKey, "sqlite", "azure", "sqlite", "azure");
        var options = services.AddWatiOptionsWithoutAttributes<TablesOptions>(TablesOptions.Section);
        services.AddSingleton<IReadinessCheck>(sp => new TableStoreReadiness(sp.GetRequiredService<ITableStore>(), provider));

        if (provider == "sqlite")
        {
            services.AddSingleton<ITableStore>(sp =>
                new SqliteTableStore(sp.GetRequiredService<IOptions<WatiOptions>>().Value.DataPath("tables.db")));
            return services;
        }

        options.ValidateProblems((o, _) => o.AzureProblems());
        // The SDK logs every request and response at Information; keep its warnings and errors only.
        services.AddLogging(logging => logging.AddFilter("Azure", LogLevel.Warning));
        // One TableServiceClient for the process, built by Microsoft.Extensions.Azure from the typed options;
        // its pipeline retries throttling (429, 503) with the SDK's exponential backoff.
        services.AddAzureClients(azure =>
        {
            azure.AddClient<TableServiceClient, TableClientOptions>((clientOptions, credential, sp) =>
            {
                var o = sp.GetRequiredService<IOptions<TablesOptions>>().Value;
                return o.ConnectionString is { Length: > 0 } connectionString
                    ? new TableServiceClient(connectionString, clientOptions)
                    : new TableServiceClient(new Uri(o.Endpoint!), credential, clientOptions);
            });
            azure.UseCredential(_ => new DefaultAzureCredential());
        });
        services.AddSingleton<AzureTableStore>();
        services.AddSingleton<ITableStore>(sp => sp.GetRequiredService<AzureTableStore>());
        services.AddHostedService<AzureTablesStartup>();
        return services;
    }
}

/// <summary>Creates the platform's tables where missing before the host serves requests.</summary>
internal sealed class AzureTablesStartup(AzureTableStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.CreateTablesAsync(TableNames.All, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class TableStoreReadiness(ITableStore store, string provider) : IReadinessCheck
{
    public string Name => "tables";

    /// <summary>Null when a point read works; else the adapter's name and what failed.</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        try
        {
            await store.GetAsync(TableNames.Users, "readiness", "probe", ct);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"the {provider} table store failed: {e.Message.Split('\n', 2)[0]}";
        }
    }
}
