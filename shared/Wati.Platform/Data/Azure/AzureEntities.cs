using SdkEntity = Azure.Data.Tables.TableEntity;

namespace Wati.Platform.Data.Azure;

/// <summary>
/// Maps the port's <see cref="TableEntity"/> to the SDK's and back, so that every property type comes
/// back as the SQLite backend returns it: string, long, bool, double, UTC <see cref="DateTimeOffset"/>,
/// byte[]. The SDK sends long as Edm.Int64 and double as Edm.Double, so neither is read back as an int.
/// </summary>
internal static class AzureEntities
{
    // System properties the service adds to every entity it returns; they are not the caller's.
    private static readonly HashSet<string> SystemProperties = new(StringComparer.Ordinal)
    {
        "PartitionKey", "RowKey", "Timestamp", "odata.etag",
    };

    /// <summary>Nulls are left out: as with SQLite, a null means "not mentioned".</summary>
    public static SdkEntity ToSdk(TableEntity entity)
    {
        var sdk = new SdkEntity(entity.PartitionKey, entity.RowKey);
        foreach (var (name, raw) in entity.Properties)
        {
            var value = PropertyValues.Normalize(raw);
            if (value is not null) sdk[name] = value;
        }
        return sdk;
    }

    public static TableEntity FromSdk(SdkEntity sdk)
    {
        var entity = new TableEntity(sdk.PartitionKey, sdk.RowKey) { ETag = sdk.ETag.ToString() };
        foreach (var (name, value) in sdk)
        {
            if (SystemProperties.Contains(name) || value is null) continue;
            entity.Properties[name] = value switch
            {
                int i => (long)i,
                DateTimeOffset t => t.ToUniversalTime(),
                DateTime d => PropertyValues.Normalize(d),
                BinaryData b => b.ToArray(),
                string or long or bool or double or byte[] => value,
                _ => throw new InvalidDataException(
                    $"Property '{name}' of ({sdk.PartitionKey}, {sdk.RowKey}) has type {value.GetType().Name}, which the platform never writes."),
            };
        }
        return entity;
    }
}
