using Wati.Platform.Data;
using Wati.Platform.Data.Azure;
using Wati.Tests.Support;

namespace Wati.Tests.Data;

/// <summary>The table-store contract against Azurite, through the official client.</summary>
public sealed class AzureTableStoreTests : TableStoreContract
{
    protected override ITableStore CreateStore() => new AzureTableStore(Emulators.TableService());

    [Fact]
    public void RangeFilterQuotesKeysContainingApostrophes()
    {
        var filter = AzureTableStore.RangeFilter("o'brien", "a' or RowKey ne '", "z");

        Assert.Equal("PartitionKey eq 'o''brien' and RowKey ge 'a'' or RowKey ne ''' and RowKey lt 'z'", filter);
    }

    [Fact]
    public async Task KeysWithApostrophesDoNotWidenTheQuery()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("o'brien", "a'1"));
        await Store.InsertAsync(table, new TableEntity("o'brien", "b"));
        await Store.InsertAsync(table, new TableEntity("other", "a'1"));

        var page = await Store.QueryAsync(table, TableQuery.Prefix("o'brien", "a'"));

        var only = Assert.Single(page.Items);
        Assert.Equal(("o'brien", "a'1"), (only.PartitionKey, only.RowKey));
    }

    [Fact]
    public async Task TokenOfAnotherPartitionIsRejected()
    {
        var table = NewTableName();
        foreach (var k in new[] { "a", "b", "c" }) await Store.InsertAsync(table, new TableEntity("p", k));
        var first = await Store.QueryAsync(table, new TableQuery("p") { Take = 1 });

        Assert.NotNull(first.ContinuationToken);
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Store.QueryAsync(table, new TableQuery("q") { ContinuationToken = first.ContinuationToken }));
    }
}
