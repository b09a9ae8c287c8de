namespace Wati.Platform.Data;

/// <summary>
/// Argument rules every <see cref="ITableStore"/> backend enforces, taken from Azure Table Storage so
/// that code which works against the embedded backend also works against Azure.
/// </summary>
internal static class TableStoreRules
{
    public const int MaxBatchOperations = 100;
    /// <summary>Azure sizes strings as UTF-16, so its 1 KiB key limit is 512 characters.</summary>
    public const int MaxKeyLength = 512;
    public const int MaxPropertyNameLength = 255;
    /// <summary>255 per entity, less the three system properties.</summary>
    public const int MaxProperties = 252;
    /// <summary>64 KiB of UTF-16.</summary>
    public const int MaxStringLength = 32 * 1024;
    public const int MaxBinaryLength = 64 * 1024;
    /// <summary>1 MiB per entity, sized as <see cref="EntitySize"/> counts.</summary>
    public const int MaxEntityBytes = 1024 * 1024;
    /// <summary>4 MiB per entity-group transaction, sized as <see cref="BatchSize"/> counts.</summary>
    public const int MaxBatchBytes = 4 * 1024 * 1024;

    /// <summary>3..63 ASCII letters and digits, starting with a letter.</summary>
    public static void ValidateTableName(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var ok = table.Length is >= 3 and <= 63 && char.IsAsciiLetter(table[0]);
        for (var i = 1; ok && i < table.Length; i++) ok = char.IsAsciiLetterOrDigit(table[i]);
        // Azure reserves this name for its own listing of tables.
        if (!ok || table.Equals("tables", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Invalid table name '{table}': use 3..63 letters and digits, starting with a letter.", nameof(table));
    }

    /// <summary>Azure forbids these characters in keys; empty keys are allowed.</summary>
    public static void ValidateKey(string key, string paramName)
    {
        ArgumentNullException.ThrowIfNull(key, paramName);
        if (key.Length > MaxKeyLength)
            throw new ArgumentException($"Key longer than {MaxKeyLength} characters.", paramName);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
                throw new ArgumentException($"Key contains the forbidden character U+{(int)c:X4}.", paramName);
            // A lone surrogate cannot travel as UTF-8 or JSON, so it would not survive a real service.
            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1])) i++;
            else if (char.IsSurrogate(c))
                throw new ArgumentException("Key contains an unpaired surrogate.", paramName);
        }
    }

    public static void ValidateEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ValidateKey(entity.PartitionKey, nameof(entity.PartitionKey));
        ValidateKey(entity.RowKey, nameof(entity.RowKey));
        if (entity.Properties.Count > MaxProperties)
            throw new ArgumentException($"An entity holds at most {MaxProperties} properties.", nameof(entity));
        foreach (var (name, value) in entity.Properties)
        {
            ValidatePropertyName(name);
            var ok = value switch
            {
                null or long or int or bool or double or DateTimeOffset or DateTime => true,
                string s => s.Length <= MaxStringLength,
                byte[] b => b.Length <= MaxBinaryLength,
                _ => throw new ArgumentException($"Property '{name}' has unsupported type {value.GetType().Name}.", nameof(entity)),
            };
            if (!ok) throw new ArgumentException($"Property '{name}' exceeds 64 KiB (32 Ki characters for strings).", nameof(entity));
        }
        var size = EntitySize(entity);
        if (size > MaxEntityBytes)
            throw new ArgumentException($"Entity ({entity.PartitionKey}, {entity.RowKey}) is {size} bytes; an entity holds at most 1 MiB.", nameof(entity));
    }

    /// <summary>
    /// An entity's size as Azure's "estimating entity size" formula counts it: 4 bytes, plus 2 per key
    /// character, plus per property 8 bytes, 2 per name character and the value (string 4 + 2 per
    /// character, binary 4 + its length, bool 1, everything else 8).
    /// </summary>
    public static long EntitySize(TableEntity entity) =>
        EntitySize(entity, binary: static n => n);

    /// <summary>
    /// A transaction's size for the 4 MiB limit: its entities as <see cref="EntitySize"/> counts them,
    /// but binary values at their base64 length, as they travel in the request body.
    /// </summary>
    public static long BatchSize(IReadOnlyList<TableOperation> operations) =>
        operations.Sum(op => EntitySize(op.Entity, binary: static n => (n + 2) / 3 * 4));

    private static long EntitySize(TableEntity entity, Func<long, long> binary)
    {
        long size = 4 + 2L * (entity.PartitionKey.Length + entity.RowKey.Length);
        foreach (var (name, value) in entity.Properties)
        {
            if (value is null) continue;
            size += 8 + 2L * name.Length + value switch
            {
                string s => 4 + 2L * s.Length,
                byte[] b => 4 + binary(b.Length),
                bool => 1,
                _ => 8,
            };
        }
        return size;
    }

    /// <summary>Azure wants C#-identifier-like names and reserves its system property names.</summary>
    public static void ValidatePropertyName(string name)
    {
        var ok = name.Length is > 0 and <= MaxPropertyNameLength && (char.IsLetter(name[0]) || name[0] == '_');
        for (var i = 1; ok && i < name.Length; i++) ok = char.IsLetterOrDigit(name[i]) || name[i] == '_';
        if (!ok || name is "PartitionKey" or "RowKey" or "Timestamp")
            throw new ArgumentException($"Invalid property name '{name}'.", nameof(name));
    }

    /// <summary>"*" or an ETag the store handed out; an empty one is a caller bug, not a mismatch.</summary>
    public static void ValidateIfMatch(string ifMatch) => ArgumentException.ThrowIfNullOrEmpty(ifMatch);

    /// <summary>
    /// Shape of a batch: 1..100 operations on one partition, each row key once, at most 4 MiB. Azure's
    /// limits, enforced for every backend before anything is written, because Azurite does not enforce
    /// them all (it has accepted larger and cross-partition transactions).
    /// </summary>
    public static void ValidateBatch(IReadOnlyList<TableOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count is 0 or > MaxBatchOperations)
            throw new ArgumentException($"A batch holds 1..{MaxBatchOperations} operations, not {operations.Count}.", nameof(operations));
        var partitionKey = operations[0]?.Entity.PartitionKey;
        var rowKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in operations)
        {
            ArgumentNullException.ThrowIfNull(op, nameof(operations));
            ValidateEntity(op.Entity);
            if (op.Kind is TableOperationKind.Replace or TableOperationKind.Merge or TableOperationKind.Delete) ValidateIfMatch(op.IfMatch);
            if (!string.Equals(op.Entity.PartitionKey, partitionKey, StringComparison.Ordinal))
                throw new ArgumentException("All operations of a batch must share one partition key.", nameof(operations));
            if (!rowKeys.Add(op.Entity.RowKey))
                throw new ArgumentException($"Row key '{op.Entity.RowKey}' appears twice in the batch.", nameof(operations));
        }
        var size = BatchSize(operations);
        if (size > MaxBatchBytes)
            throw new ArgumentException($"The batch is {size} bytes; a batch holds at most 4 MiB. Split it into several batches.", nameof(operations));
    }
}
