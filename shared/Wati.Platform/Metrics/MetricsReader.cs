using Wati.Platform.Common;
using Wati.Platform.Data;

namespace Wati.Platform.Metrics;

/// <summary>Reads published aggregates back from the <c>metrics</c> table for a time range.</summary>
public sealed class MetricsReader(ITableStore store)
{
    /// <summary>
    /// One page of the aggregates of buckets starting in [<paramref name="from"/>, <paramref name="to"/>), oldest
    /// first, then by kind and name; <paramref name="only"/> keeps one kind and name. Walks one partition per UTC day
    /// of the range (row-key ranges), counting what matches and keeping the requested slice.
    /// </summary>
    public async Task<Page<MetricAggregate>> ReadAsync(DateTimeOffset from, DateTimeOffset to, (string Kind, string Name)? only,
        PageRequest page, CancellationToken ct)
    {
        var items = new List<MetricAggregate>(page.PageSize);
        long index = 0;
        var last = (to - TimeSpan.FromTicks(1)).UtcDateTime.Date;
        for (var day = from.UtcDateTime.Date; day <= last; day = day.AddDays(1))
        {
            var query = new TableQuery(MetricAggregate.Partition(new DateTimeOffset(day, TimeSpan.Zero)))
            {
                RowKeyFrom = UsageBuckets.Key(from),
                RowKeyTo = UsageBuckets.Key(to),
            };
            string? token = null;
            do
            {
                var result = await store.QueryAsync(TableNames.Metrics, query with { ContinuationToken = token }, ct);
                foreach (var row in result.Items)
                {
                    if (MetricAggregate.FromEntity(row) is not { } a) continue; // a done mark
                    if (only is { } o && (a.Kind != o.Kind || a.Name != o.Name)) continue;
                    if (index >= page.Skip && items.Count < page.PageSize) items.Add(a);
                    index++;
                }
                token = result.ContinuationToken;
            } while (token is not null);
        }
        return new Page<MetricAggregate>(items, index, page);
    }
}
