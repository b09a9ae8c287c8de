using Wati.Platform.Data;

namespace Wati.Tests.Data;

public abstract partial class TableStoreContract
{
    [Fact]
    public async Task QueryOrdersRowKeysOrdinally()
    {
        var table = NewTableName();
        string[] keys = ["b", "a", "B", "a0", "aa", "Z", "_", "0", "é", "a-", "~", ""];
        foreach (var k in keys) await Store.InsertAsync(table, new TableEntity("p", k));

        var page = await Store.QueryAsync(table, new TableQuery("p"));

        Assert.Equal(keys.Order(StringComparer.Ordinal), page.Items.Select(e => e.RowKey));
        Assert.Null(page.ContinuationToken);
        Assert.All(page.Items, e => Assert.NotNull(e.ETag));
    }

    [Fact]
    public async Task QueryRangeIncludesFromAndExcludesTo()
    {
        var table = NewTableName();
        foreach (var k in new[] { "a", "b", "c", "d", "e" }) await Store.InsertAsync(table, new TableEntity("p", k));

        var page = await Store.QueryAsync(table, new TableQuery("p") { RowKeyFrom = "b", RowKeyTo = "d" });
        var open = await Store.QueryAsync(table, new TableQuery("p") { RowKeyFrom = "bb" });
        var upTo = await Store.QueryAsync(table, new TableQuery("p") { RowKeyTo = "c" });

        Assert.Equal(["b", "c"], page.Items.Select(e => e.RowKey));
        Assert.Equal(["c", "d", "e"], open.Items.Select(e => e.RowKey));
        Assert.Equal(["a", "b"], upTo.Items.Select(e => e.RowKey));
    }

    [Fact]
    public async Task PrefixQueryReturnsOnlyRowsStartingWithThePrefix()
    {
        var table = NewTableName();
        string[] keys = ["user", "user-", "user-1", "user-10", "user-1z", "user-2", "user.1", "usen", "users"];
        foreach (var k in keys) await Store.InsertAsync(table, new TableEntity("p", k));

        var page = await Store.QueryAsync(table, TableQuery.Prefix("p", "user-1"));

        Assert.Equal(["user-1", "user-10", "user-1z"], page.Items.Select(e => e.RowKey));
    }

    [Fact]
    public async Task PagingVisitsEveryRowExactlyOnceInOrder()
    {
        var table = NewTableName();
        var keys = Enumerable.Range(0, 250).Select(i => $"k{i:D4}").ToList();
        foreach (var chunk in keys.Chunk(100))
            await Store.ExecuteBatchAsync(table, chunk.Select(k => TableOperation.Insert(new TableEntity("p", k).With("N", k))).ToList());

        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await Store.QueryAsync(table, new TableQuery("p") { Take = 100, ContinuationToken = token });
            Assert.InRange(page.Items.Count, 1, 100);
            seen.AddRange(page.Items.Select(e => e.RowKey));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(keys, seen);
    }

    [Fact]
    public async Task PagingStaysInsideTheRange()
    {
        var table = NewTableName();
        foreach (var k in new[] { "a1", "b1", "b2", "b3", "b4", "b5", "c1" }) await Store.InsertAsync(table, new TableEntity("p", k));

        var seen = new List<string>();
        var query = TableQuery.Prefix("p", "b") with { Take = 2 };
        do
        {
            var page = await Store.QueryAsync(table, query);
            seen.AddRange(page.Items.Select(e => e.RowKey));
            query = query with { ContinuationToken = page.ContinuationToken };
        }
        while (query.ContinuationToken is not null);

        Assert.Equal(["b1", "b2", "b3", "b4", "b5"], seen);
    }

    [Fact]
    public async Task PartitionsAreIsolated()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p1", "r").With("V", 1));
        await Store.InsertAsync(table, new TableEntity("p2", "r").With("V", 2));
        await Store.InsertAsync(table, new TableEntity("p10", "r").With("V", 10));

        Assert.True(await Store.DeleteAsync(table, "p1", "r"));

        var p1 = await Store.QueryAsync(table, new TableQuery("p1"));
        var p2 = await Store.QueryAsync(table, new TableQuery("p2"));
        Assert.Empty(p1.Items);
        Assert.Equal(2L, Assert.Single(p2.Items)["V"]);
        Assert.Equal(10L, (await Store.GetAsync(table, "p10", "r"))!["V"]);
    }

    [Fact]
    public async Task TablesAreIsolated()
    {
        var (t1, t2) = (NewTableName(), NewTableName());
        await Store.InsertAsync(t1, new TableEntity("p", "r").With("V", 1));

        Assert.Null(await Store.GetAsync(t2, "p", "r"));
        Assert.Empty((await Store.QueryAsync(t2, new TableQuery("p"))).Items);
        await Store.InsertAsync(t2, new TableEntity("p", "r").With("V", 2));
        Assert.Equal(1L, (await Store.GetAsync(t1, "p", "r"))!["V"]);
    }

    [Fact]
    public async Task TableNamesAreCaseInsensitive()
    {
        var table = NewTableName();
        await Store.InsertAsync(table.ToLowerInvariant(), new TableEntity("p", "r"));

        Assert.NotNull(await Store.GetAsync(table.ToUpperInvariant(), "p", "r"));
    }
}
