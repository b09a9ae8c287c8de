using Azure.Data.Tables;

namespace Wati.Tests.Support;

/// <summary>
/// Where the emulators that <c>./test.sh</c> starts are listening, passed in by environment variables.
/// A missing variable fails the test with a message saying how to run it: these suites are not skipped.
/// </summary>
public static class Emulators
{
    /// <summary>Azurite's development account, as documented by Azurite; not a secret.</summary>
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>A connection string for Azurite's table service (<c>WATI_TEST_AZURITE_TABLE_PORT</c>).</summary>
    public static string AzuriteTables =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"TableEndpoint=http://127.0.0.1:{Port("WATI_TEST_AZURITE_TABLE_PORT")}/devstoreaccount1;";

    /// <summary>s3rver's base URL (<c>WATI_TEST_S3_PORT</c>); its credentials are S3RVER / S3RVER.</summary>
    public static string S3ServiceUrl => $"http://127.0.0.1:{Port("WATI_TEST_S3_PORT")}";

    public static TableServiceClient TableService() => new(AzuriteTables);

    /// <summary>A connection string for Azurite's queue service (<c>WATI_TEST_AZURITE_QUEUE_PORT</c>).</summary>
    public static string AzuriteQueues =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"QueueEndpoint=http://127.0.0.1:{Port("WATI_TEST_AZURITE_QUEUE_PORT")}/devstoreaccount1;";

    /// <summary>
    /// Azurite's table service through the strict layer in the role of the app's managed identity
    /// (<c>WATI_TEST_STRICT_MI_TABLE_PORT</c>): every operation the template's data-plane roles do not
    /// grant (service properties and statistics) is refused with 403 AuthorizationPermissionMismatch.
    /// </summary>
    public static string AzuriteTablesAsManagedIdentity =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"TableEndpoint=http://127.0.0.1:{Port("WATI_TEST_STRICT_MI_TABLE_PORT")}/devstoreaccount1;";

    /// <summary>Azurite's queue service through the strict layer as the app's managed identity (<c>WATI_TEST_STRICT_MI_QUEUE_PORT</c>).</summary>
    public static string AzuriteQueuesAsManagedIdentity =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"QueueEndpoint=http://127.0.0.1:{Port("WATI_TEST_STRICT_MI_QUEUE_PORT")}/devstoreaccount1;";

    private static int Port(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException(
                $"{variable} is not set: this test needs the emulators that ./test.sh starts (see README, 'Run against Azurite and an S3 server').");
}
