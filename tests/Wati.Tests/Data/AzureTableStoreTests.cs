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
    public async Task OnePageAsksTheServiceForAtMostThePageAndNoLookAheadRow()
    {
        var requests = new System.Collections.Concurrent.ConcurrentQueue<Uri>();
        var store = RecordingStore(requests);
        var table = NewTableName();
        await store.ExecuteBatchAsync(table, Enumerable.Range(0, 50).Select(i => TableOperation.Insert(new TableEntity("p", $"k{i:D2}"))).ToList());
        requests.Clear();

        var page = await store.QueryAsync(table, new TableQuery("p") { Take = 10 });

        Assert.Equal(10, page.Items.Count);
        Assert.NotNull(page.ContinuationToken);
        var query = Assert.Single(requests, u => IsQueryOf(u, table));
        Assert.Equal(10, TopOf(query));
    }

    /// <summary>
    /// Finding 1 of issue 17: the default take (1000) used to ask for <c>$top=1001</c>, which Azure refuses
    /// with 400 InvalidInput ("Query Entities": at most 1,000 per page); the strict layer refuses it too.
    /// </summary>
    [Fact]
    public async Task ADefaultTakeListPassesTheStrictLayerAndPagesAcross1000Rows()
    {
        var requests = new System.Collections.Concurrent.ConcurrentQueue<Uri>();
        var store = RecordingStore(requests);
        var table = NewTableName();
        await InsertRowsAsync(store, table, 1001);
        requests.Clear();

        var first = await store.QueryAsync(table, new TableQuery("p"));
        var second = await store.QueryAsync(table, new TableQuery("p") { ContinuationToken = first.ContinuationToken });

        Assert.Equal(1000, first.Items.Count);
        Assert.NotNull(first.ContinuationToken);
        Assert.Equal(["k1000"], second.Items.Select(e => e.RowKey));
        Assert.Null(second.ContinuationToken);
        Assert.Equal(Enumerable.Range(0, 1001).Select(i => $"k{i:D4}"), first.Items.Concat(second.Items).Select(e => e.RowKey));
        Assert.All(requests.Where(u => IsQueryOf(u, table)), u => Assert.InRange(TopOf(u), 1, 1000));
    }

    [Fact]
    public async Task PagesOfAnyTakeVisitEveryRowOfALargePartitionOnce()
    {
        var table = NewTableName();
        await InsertRowsAsync(Store, table, 2345);

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Store.QueryAsync(table, new TableQuery("p") { Take = 700, ContinuationToken = token });
            Assert.InRange(page.Items.Count, 0, 700);
            seen.AddRange(page.Items.Select(e => e.RowKey));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 2345).Select(i => $"k{i:D4}"), seen);
        Assert.InRange(pages, 4, 5);
    }

    /// <summary>
    /// The port counts a batch by Azure's entity-size formula (2 bytes a character), but Azure's 4 MiB
    /// transaction limit is on the request body, where the client writes JSON (a CJK character is 3 bytes
    /// as UTF-8, 6 when escaped): this batch passes the port's count (about 3 MB) and would be answered 413
    /// RequestBodyTooLarge by Azure and the strict layer. The adapter refuses it before sending.
    /// </summary>
    [Fact]
    public async Task ABatchWhoseBodyWouldExceed4MiBIsRefusedBeforeSending()
    {
        var table = NewTableName();
        var ops = Enumerable.Range(0, 100)
            .Select(i => TableOperation.Insert(new TableEntity("p", $"r{i:D3}").With("Text", new string('中', 15_000))))
            .ToList();
        Assert.InRange(TableStoreRules.BatchSize(ops), 1, TableStoreRules.MaxBatchBytes);

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExecuteBatchAsync(table, ops));

        Assert.Contains("4 MiB", e.Message, StringComparison.Ordinal);
        Assert.Empty((await Store.QueryAsync(table, new TableQuery("p"))).Items);
    }

    /// <summary>The bound is not so loose that it refuses a large batch Azure takes: about 3.3 MB as the port counts, 1.7 MB of body.</summary>
    [Fact]
    public async Task ALargeAsciiBatchUnderBothLimitsPassesTheStrictLayer()
    {
        var table = NewTableName();
        var ops = Enumerable.Range(0, 55)
            .Select(i => TableOperation.Insert(new TableEntity("p", $"r{i:D3}").With("Text", new string('a', 30_000))))
            .ToList();

        var etags = await Store.ExecuteBatchAsync(table, ops);

        Assert.Equal(55, etags.Count);
        Assert.Equal(55, (await Store.QueryAsync(table, new TableQuery("p"))).Items.Count);
    }

    private static async Task InsertRowsAsync(ITableStore store, string table, int count)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
            await store.ExecuteBatchAsync(table, chunk.Select(i => TableOperation.Insert(new TableEntity("p", $"k{i:D4}"))).ToList());
    }

    private static AzureTableStore RecordingStore(System.Collections.Concurrent.ConcurrentQueue<Uri> requests)
    {
        var options = new Azure.Data.Tables.TableClientOptions
        {
            Transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new Recorder(requests) { InnerHandler = new SocketsHttpHandler() })),
        };
        return new AzureTableStore(new Azure.Data.Tables.TableServiceClient(Emulators.AzuriteTables, options));
    }

    private static bool IsQueryOf(Uri uri, string table) =>
        uri.AbsolutePath.Contains(table, StringComparison.OrdinalIgnoreCase) && uri.Query.Contains("filter", StringComparison.OrdinalIgnoreCase);

    private static int TopOf(Uri uri)
    {
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        return int.Parse(query["$top"] ?? throw new InvalidOperationException($"No $top in {uri}"), System.Globalization.CultureInfo.InvariantCulture);
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
