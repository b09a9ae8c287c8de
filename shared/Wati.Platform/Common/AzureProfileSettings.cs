namespace Wati.Platform.Common;

/// <summary>
/// The settings without which a host on the azure profile does not start, with the profile's default
/// adapters reached the way Azure runs them: Table Storage and Storage Queues by endpoint with a managed
/// identity (<c>DefaultAzureCredential</c>), objects on S3/R2, models on Replicate. Each key's rule lives
/// in its options class (<see cref="WatiOptions.Problems"/>, <c>AuthRegistration</c>,
/// <c>TablesOptions.AzureProblems</c>, <c>StorageQueueSettings.Problems</c>, <c>S3StorageOptions.Problems</c>,
/// <c>ReplicateOptionsValidator</c>); this list names them once so deployment can be checked against it:
/// tests hold the start-up validation to exactly these keys, and <c>infra/main.bicep</c>'s app settings to
/// setting each of them. <c>Wati:Auth:SigningKey</c> must be base64 of at least 32 bytes here
/// (<see cref="DataKeys.Problem"/>), and no setting may still hold an unresolved <c>@Microsoft.KeyVault(...)</c>
/// reference (<see cref="DataKeys.UnresolvedKeyVaultReferences"/>); every problem is reported in one
/// start-up message (<see cref="OptionsRegistration.AddSettingsChecks"/>).
/// </summary>
public static class AzureProfileSettings
{
    /// <summary>Configuration keys (<c>:</c>-separated; <c>__</c> in environment variables and app settings).</summary>
    public static IReadOnlyList<string> RequiredAtStart { get; } =
    [
        "Wati:PublicBaseUrl",
        "Wati:Auth:SigningKey",
        "Wati:Tables:Endpoint",
        "Wati:Queue:Storage:Endpoint",
        "Wati:Storage:S3:ServiceUrl",
        "Wati:Storage:S3:Bucket",
        "Wati:Storage:S3:AccessKey",
        "Wati:Storage:S3:SecretKey",
        "Wati:Models:Replicate:Token",
    ];
}
