using Azure;
using Azure.Data.Tables;

namespace Wati.Tests.Strict;

/// <summary>
/// Rule T1 of the strict layer: Azure returns at most 1,000 entities per page and refuses a larger
/// <c>$top</c> with 400 InvalidInput ("Query Entities"; Azure/azure-sdk-for-net #26035). Azurite clamps it.
/// </summary>
public sealed class StrictQueryTests
{
    [Fact]
    public async Task A_top_over_1000_is_refused_with_InvalidInput_where_Azurite_answers_it()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        var raw = StrictEndpoints.RawTables().GetTableClient(strict.Name);
        await strict.AddEntityAsync(new TableEntity("p", "r"));

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => FirstPageAsync(strict, 1001));
        var rawPage = await FirstPageAsync(raw, 1001);

        Assert.Equal(400, refused.Status);
        Assert.Equal("InvalidInput", refused.ErrorCode);
        Assert.Contains("One of the request inputs is not valid.", refused.Message, StringComparison.Ordinal);
        Assert.Single(rawPage.Values);
    }

    [Fact]
    public async Task A_top_of_1000_passes()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        await strict.AddEntityAsync(new TableEntity("p", "r"));

        var page = await FirstPageAsync(strict, 1000);

        Assert.Equal("r", Assert.Single(page.Values).RowKey);
    }

    [Fact]
    public async Task Listing_tables_with_a_top_over_1000_is_refused_too()
    {
        var service = StrictEndpoints.StrictTables();

        var refused = await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (var _ in service.QueryAsync(maxPerPage: 1001).AsPages(pageSizeHint: 1001)) break;
        });

        Assert.Equal((400, "InvalidInput"), (refused.Status, refused.ErrorCode));
    }

    private static async Task<Page<TableEntity>> FirstPageAsync(TableClient table, int top)
    {
        await foreach (var page in table.QueryAsync<TableEntity>("PartitionKey eq 'p'", top).AsPages(pageSizeHint: top)) return page;
        throw new InvalidOperationException("The query answered no page.");
    }
}
