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
    public async Task OnePageAsksTheServiceForAtMostOneRowMoreThanThePage()
    {
        var requests = new System.Collections.Concurrent.ConcurrentQueue<Uri>();
        var options = new Azure.Data.Tables.TableClientOptions
        {
            Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new Recorder(requests) { InnerHandler = new SocketsHttpHandler() })),
        };
        var store = new AzureTableStore(new Azure.Data.Tables.TableServiceClient(Emulators.AzuriteTables, options));
        var table = NewTableName();
        await store.ExecuteBatchAsync(table, Enumerable.Range(0, 50).Select(i => TableOperation.Insert(new TableEntity("p", $"k{i:D2}"))).ToList());
        requests.Clear();

        var page = await store.QueryAsync(table, new TableQuery("p") { Take = 10 });

        Assert.Equal(10, page.Items.Count);
        var query = Assert.Single(requests, u => u.AbsolutePath.Contains(table, StringComparison.OrdinalIgnoreCase) && u.Query.Contains("filter", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("$top=11&", Uri.UnescapeDataString(query.Query) + "&", StringComparison.Ordinal);
    }

    private sealed class Recorder(System.Collections.Concurrent.ConcurrentQueue<Uri> requests) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            requests.Enqueue(request.RequestUri!);
            return base.SendAsync(request, cancellationToken);
        }
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
