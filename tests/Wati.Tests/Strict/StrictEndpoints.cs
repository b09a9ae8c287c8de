using Azure.Data.Tables;
using Azure.Storage.Queues;
using Wati.Tests.Support;

namespace Wati.Tests.Strict;

/// <summary>
/// Clients for the strict-Azure layer (tools/emulators/strict-azure.mjs) and, to show what the layer
/// adds, for Azurite itself (<c>WATI_TEST_AZURITE_RAW_TABLE_PORT</c>, exported by scripts/emulators.sh).
/// Retries are off so that a refusal is seen once, as sent.
/// </summary>
internal static class StrictEndpoints
{
    /// <summary>Azurite's published development account key; not a secret.</summary>
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static TableServiceClient StrictTables() => new(Emulators.AzuriteTables, TableOptions());

    public static TableServiceClient RawTables() => new(RawTablesConnectionString, TableOptions());

    /// <summary>Azurite's table service itself, without the strict layer.</summary>
    public static string RawTablesConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"TableEndpoint=http://127.0.0.1:{Port("WATI_TEST_AZURITE_RAW_TABLE_PORT")}/devstoreaccount1;";

    public static TableServiceClient ManagedIdentityTables() => new(Emulators.AzuriteTablesAsManagedIdentity, TableOptions());

    public static QueueServiceClient StrictQueues() => new(Emulators.AzuriteQueues, QueueOptions());

    public static QueueServiceClient ManagedIdentityQueues() => new(Emulators.AzuriteQueuesAsManagedIdentity, QueueOptions());

    /// <summary>A new table on the strict layer; Azurite is shared, so each test uses its own.</summary>
    public static async Task<TableClient> NewTableAsync(TableServiceClient service)
    {
        var table = service.GetTableClient("s" + Guid.NewGuid().ToString("N"));
        await table.CreateIfNotExistsAsync();
        return table;
    }

    private static TableClientOptions TableOptions()
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        return options;
    }

    private static QueueClientOptions QueueOptions()
    {
        // The service version the app pins (Azurite refuses newer ones).
        var options = Wati.Platform.Jobs.Queue.StorageJobQueue.ClientOptions();
        options.Retry.MaxRetries = 0;
        return options;
    }

    private static int Port(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{variable} is not set: run the tests with the emulators ./test.sh starts (scripts/emulators.sh).");
}
