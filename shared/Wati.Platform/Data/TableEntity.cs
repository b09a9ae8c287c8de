using System.Globalization;

namespace Wati.Platform.Data;

/// <summary>
/// A row: keys, ETag and typed properties. Property values are one of: string, long, int (kept as
/// long), bool, double, DateTimeOffset or DateTime (kept as UTC DateTimeOffset), byte[]; null removes
/// nothing and is not stored. Guid is not supported: store it as a string.
/// </summary>
public sealed class TableEntity(string partitionKey, string rowKey)
{
    public string PartitionKey { get; } = partitionKey;
    public string RowKey { get; } = rowKey;

    /// <summary>Set by the store on reads and writes; opaque.</summary>
    public string? ETag { get; set; }

    public Dictionary<string, object?> Properties { get; } = new(StringComparer.Ordinal);

    public object? this[string name]
    {
        get => Properties.GetValueOrDefault(name);
        set => Properties[name] = value;
    }

    public string? GetString(string name) => this[name] as string;

    public long? GetInt64(string name) => this[name] switch
    {
        long l => l,
        int i => i,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public bool? GetBool(string name) => this[name] as bool?;

    public double? GetDouble(string name) => this[name] switch
    {
        double d => d,
        long l => l,
        int i => i,
        _ => null,
    };

    public DateTimeOffset? GetTime(string name) => this[name] as DateTimeOffset?;

    public byte[]? GetBinary(string name) => this[name] as byte[];

    public TableEntity With(string name, object? value)
    {
        this[name] = value;
        return this;
    }

    /// <summary>A copy with the same keys, ETag and properties.</summary>
    public TableEntity Clone()
    {
        var e = new TableEntity(PartitionKey, RowKey) { ETag = ETag };
        foreach (var (k, v) in Properties) e.Properties[k] = v;
        return e;
    }
}
