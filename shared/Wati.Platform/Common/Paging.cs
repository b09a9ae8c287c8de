using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Common;

/// <summary>Page-number paging (<c>page</c> from 1, <c>page_size</c> default 20, at most 100).</summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultSize = 20;
    public const int MaxSize = 100;

    public int Skip => (Page - 1) * PageSize;

    public static PageRequest Create(int? page, int? pageSize)
    {
        if (page is < 1) throw ApiException.Validation("page must be 1 or more", new { field = "page" });
        if (pageSize is < 1 or > MaxSize)
            throw ApiException.Validation($"page_size must be between 1 and {MaxSize}", new { field = "page_size" });
        return new(page ?? 1, pageSize ?? DefaultSize);
    }
}

public sealed record Page<T>(IReadOnlyList<T> Items, long Total, PageRequest Request)
{
    public Pagination Pagination => Pagination.Of(Total, Request.Page, Request.PageSize);
}

public static class TablePaging
{
    /// <summary>
    /// Reads one page of a row-key range. Table storage has no count or offset, so this walks the
    /// range (following continuations) to count it and keeps only the requested slice. Fine for
    /// per-user lists; a catalogue that grows large would want a maintained counter.
    /// </summary>
    public static async Task<Page<TableEntity>> ReadPageAsync(ITableStore store, string table, TableQuery query,
        PageRequest page, Func<TableEntity, bool>? filter, CancellationToken ct)
    {
        var items = new List<TableEntity>(page.PageSize);
        long index = 0;
        string? token = null;
        do
        {
            var result = await store.QueryAsync(table, query with { ContinuationToken = token }, ct);
            foreach (var e in result.Items)
            {
                if (filter is not null && !filter(e)) continue;
                if (index >= page.Skip && items.Count < page.PageSize) items.Add(e);
                index++;
            }
            token = result.ContinuationToken;
        } while (token is not null);
        return new Page<TableEntity>(items, index, page);
    }
}
