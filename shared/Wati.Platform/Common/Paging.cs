using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Common;

/// <summary>
/// Page-number paging (<c>page</c> from 1, <c>page_size</c> default 20, at most 100). A page whose first
/// item lies beyond <see cref="MaxOffset"/> is refused (issue 24 finding 12: <c>page=2147483647</c> overflowed
/// the offset and answered page 1).
/// </summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultSize = 20;
    public const int MaxSize = 100;

    /// <summary>
    /// The furthest offset a page may start at: the stores count rows in an <see cref="int"/>-sized range
    /// (SQLite and Table storage lists are walked, never offset), and one full page past it must still fit.
    /// </summary>
    public const long MaxOffset = int.MaxValue - MaxSize;

    /// <summary>How many items precede this page, computed in 64 bits so it cannot overflow.</summary>
    public long Offset => (Page - 1L) * PageSize;

    /// <summary><see cref="Offset"/> as an <see cref="int"/> (at most <see cref="MaxOffset"/> for a request from <see cref="Create"/>).</summary>
    public int Skip => (int)Math.Min(Offset, int.MaxValue);

    /// <summary>The request, or 400 VALIDATION_ERROR naming <c>page</c> or <c>page_size</c>.</summary>
    public static PageRequest Create(int? page, int? pageSize)
    {
        if (page is < 1) throw ApiException.Validation("page must be 1 or more", new { field = "page" });
        if (pageSize is < 1 or > MaxSize)
            throw ApiException.Validation($"page_size must be between 1 and {MaxSize}", new { field = "page_size" });
        var request = new PageRequest(page ?? 1, pageSize ?? DefaultSize);
        if (request.Offset > MaxOffset)
            throw ApiException.Validation($"page is beyond the last addressable page ({request.LastAddressablePage}) for page_size {request.PageSize}",
                new { field = "page", max = request.LastAddressablePage });
        return request;
    }

    /// <summary>The largest page number whose offset is at most <see cref="MaxOffset"/> at this page size.</summary>
    public int LastAddressablePage => (int)(MaxOffset / PageSize + 1);
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
