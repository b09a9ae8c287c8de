using Wati.Platform.Data;

namespace Wati.Platform.Metrics;

/// <summary>
/// The rows of a <c>usage</c> bucket partition, both ways. A tally row (RK <c>t_…</c>, one per route per flush
/// per process) holds <c>kind</c>, <c>name</c>, <c>count</c>, <c>errors</c>, <c>credits</c> and the duration
/// histogram in binary properties <c>h0</c>, <c>h1</c>, …: pairs of (milliseconds, calls) in ascending order of
/// milliseconds, each an unsigned LEB128 varint, the milliseconds stored as the difference to the pair before
/// within the property (the first as is). A property holds at most 64 KiB and a row at most
/// <see cref="PartsPerRow"/> of them (the store's 64 KiB per property, 1 MiB per entity); a larger histogram
/// continues on further rows, each with the <c>count</c> of the calls in its own parts, and with
/// <c>errors</c> and <c>credits</c> on the first. A finished job's row is a <see cref="UsageEvent"/> (RK
/// <c>job_{id}</c>); so are call rows written before tallies existed, and both read back as tallies of one.
/// </summary>
public static class UsageRows
{
    /// <summary>The store's limit for one binary property (TableStoreRules.MaxBinaryLength).</summary>
    public const int MaxPartBytes = 64 * 1024;

    /// <summary>15 parts of 64 KiB and the counters stay under the 1 MiB an entity may hold (as Azure sizes it).</summary>
    public const int PartsPerRow = 15;

    private const string Part = "h";

    /// <summary>
    /// The rows of <paramref name="tally"/> in bucket partition <paramref name="bucket"/>, each with the number of
    /// calls it carries; <paramref name="rowKey"/> names row i of this tally (it must be unique in the partition).
    /// </summary>
    public static IEnumerable<(TableEntity Row, long Calls)> ToRows(string bucket, UsageTally tally, Func<int, string> rowKey)
    {
        var parts = EncodeParts(tally.DurationsMs);
        for (int row = 0, first = 0; first < parts.Count || row == 0; row++, first += PartsPerRow)
        {
            var entity = new TableEntity(bucket, rowKey(row)).With("kind", tally.Kind).With("name", tally.Name);
            long calls = 0;
            for (var i = 0; i < PartsPerRow && first + i < parts.Count; i++)
            {
                entity.With(Part + i, parts[first + i].Bytes);
                calls += parts[first + i].Calls;
            }
            entity.With("count", calls).With("errors", row == 0 ? tally.Errors : 0L).With("credits", row == 0 ? tally.Credits : 0L);
            yield return (entity, calls);
        }
    }

    /// <summary>Any row of a bucket partition as a tally: a tally row decoded, an event row (a job) as a tally of one.</summary>
    /// <exception cref="FormatException">A histogram property is not a well-formed pair list.</exception>
    public static UsageTally FromRow(TableEntity row)
    {
        if (row.GetInt64("count") is not { } count) return UsageTally.Of(UsageEvent.FromEntity(row));
        var tally = new UsageTally(row.GetString("kind") ?? "", row.GetString("name") ?? "");
        tally.AddCounters(count, row.GetInt64("errors") ?? 0, row.GetInt64("credits") ?? 0);
        for (var i = 0; row.GetBinary(Part + i) is { } bytes; i++) Decode(bytes, tally);
        return tally;
    }

    private static List<(byte[] Bytes, long Calls)> EncodeParts(Dictionary<long, long> histogram)
    {
        var parts = new List<(byte[], long)>();
        var buffer = new byte[MaxPartBytes];
        int length = 0;
        long previous = 0, calls = 0;
        Span<byte> pair = stackalloc byte[20]; // two varints of at most 10 bytes
        foreach (var ms in histogram.Keys.Order())
        {
            var n = Varint(pair, (ulong)(ms - previous));
            var size = n + Varint(pair[n..], (ulong)histogram[ms]);
            if (length + size > MaxPartBytes)
            {
                parts.Add((buffer[..length], calls));
                (length, calls) = (0, 0);
                n = Varint(pair, (ulong)ms); // a new part starts from 0
                size = n + Varint(pair[n..], (ulong)histogram[ms]);
            }
            pair[..size].CopyTo(buffer.AsSpan(length));
            length += size;
            calls += histogram[ms];
            previous = ms;
        }
        if (length > 0) parts.Add((buffer[..length], calls));
        return parts;
    }

    private static void Decode(byte[] bytes, UsageTally into)
    {
        var position = 0;
        long ms = 0;
        while (position < bytes.Length)
        {
            ms += (long)ReadVarint(bytes, ref position);
            into.AddDurations(ms, (long)ReadVarint(bytes, ref position));
        }
    }

    private static int Varint(Span<byte> into, ulong value)
    {
        var i = 0;
        for (; value >= 0x80; value >>= 7) into[i++] = (byte)(value | 0x80);
        into[i++] = (byte)value;
        return i;
    }

    private static ulong ReadVarint(byte[] bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length) break;
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("a usage row's duration histogram ends inside a number");
    }
}
