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

    /// <summary>
    /// The histogram as (ms delta, calls) pairs of 7-bit-encoded integers (<see cref="BinaryWriter.Write7BitEncodedInt64"/>),
    /// in parts of at most <see cref="MaxPartBytes"/>; each part starts its deltas from 0.
    /// </summary>
    private static List<(byte[] Bytes, long Calls)> EncodeParts(Dictionary<long, long> histogram)
    {
        var parts = new List<(byte[], long)>();
        var part = new MemoryStream();
        var writer = new BinaryWriter(part);
        long previous = 0, calls = 0;
        foreach (var ms in histogram.Keys.Order())
        {
            var before = part.Length;
            writer.Write7BitEncodedInt64(ms - previous);
            writer.Write7BitEncodedInt64(histogram[ms]);
            if (part.Length > MaxPartBytes)
            {
                part.SetLength(before);
                parts.Add((part.ToArray(), calls));
                (part, calls) = (new MemoryStream(), 0);
                writer = new BinaryWriter(part);
                writer.Write7BitEncodedInt64(ms);
                writer.Write7BitEncodedInt64(histogram[ms]);
            }
            calls += histogram[ms];
            previous = ms;
        }
        if (part.Length > 0) parts.Add((part.ToArray(), calls));
        return parts;
    }

    /// <exception cref="FormatException">The part ends inside a number.</exception>
    private static void Decode(byte[] bytes, UsageTally into)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        long ms = 0;
        try
        {
            while (reader.BaseStream.Position < bytes.Length)
            {
                ms += reader.Read7BitEncodedInt64();
                into.AddDurations(ms, reader.Read7BitEncodedInt64());
            }
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("a usage row's duration histogram ends inside a number", e);
        }
    }
}
