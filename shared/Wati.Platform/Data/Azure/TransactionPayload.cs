namespace Wati.Platform.Data.Azure;

/// <summary>
/// An upper bound of the body Azure.Data.Tables sends for one entity group transaction. Azure refuses a
/// body over 4 MiB with 413 RequestBodyTooLarge ("Performing entity group transactions"), and the port's
/// own count (<see cref="TableStoreRules.BatchSize"/>, Azure's entity-size formula) is not a bound of the
/// body: the client writes JSON, may escape each non-ASCII character as six bytes (<c>\uXXXX</c>), and
/// adds a multipart header block to every operation. So the adapter refuses, before sending, any
/// transaction whose body could exceed the limit.
/// </summary>
internal static class TransactionPayload
{
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>The multipart envelope of the whole transaction (boundaries, the change set header).</summary>
    private const int EnvelopeBytes = 512;

    /// <summary>One operation's part headers, request line and HTTP headers (If-Match and the like), without the URL.</summary>
    private const int OperationBytes = 1024;

    /// <summary>
    /// Bytes <paramref name="operations"/> can take at most on the wire, their URLs starting with
    /// <paramref name="tableUri"/> (the service endpoint and table).
    /// </summary>
    public static long UpperBound(Uri tableUri, IReadOnlyList<TableOperation> operations)
    {
        long size = EnvelopeBytes;
        foreach (var op in operations)
        {
            var keys = op.Entity.PartitionKey.Length + op.Entity.RowKey.Length;
            // The URL names the keys percent-encoded (at most 9 bytes a UTF-16 unit: 3 UTF-8 bytes as %XX);
            // the body names them again as JSON strings.
            size += OperationBytes + tableUri.AbsoluteUri.Length + 9L * keys + JsonString(op.Entity.PartitionKey) + JsonString(op.Entity.RowKey) + 40;
            if (op.Kind == TableOperationKind.Delete) continue;
            foreach (var (name, value) in op.Entity.Properties)
            {
                if (value is null) continue;
                // "Name":value, plus "Name@odata.type":"Edm.Something",
                size += 2 * JsonString(name) + 48 + value switch
                {
                    string s => JsonString(s),
                    byte[] b => (b.Length + 2) / 3 * 4 + 2,
                    bool => 5,
                    _ => 40, // long (written as a quoted string), double, times
                };
            }
        }
        return size;
    }

    /// <summary>A JSON string's size if every character outside printable ASCII is escaped as <c>\uXXXX</c>.</summary>
    private static long JsonString(string text)
    {
        long size = 2;
        foreach (var c in text) size += c is >= ' ' and < '\u007f' and not ('"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`') ? 1 : 6;
        return size;
    }
}
