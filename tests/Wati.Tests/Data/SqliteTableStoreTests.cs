using Wati.Platform.Data;
using Wati.Platform.Data.Sqlite;

namespace Wati.Tests.Data;

public sealed class SqliteTableStoreTests : TableStoreContract, IDisposable
{
    // A folder that does not exist yet, so every test also covers the constructor creating it.
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "wati-tables-" + Guid.NewGuid().ToString("N"), "nested");
    private readonly List<SqliteTableStore> _stores = [];

    private string DatabasePath => Path.Combine(_folder, "tables.db");

    protected override ITableStore CreateStore() => OpenStore();

    private SqliteTableStore OpenStore()
    {
        var store = new SqliteTableStore(DatabasePath);
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _stores) store.Dispose();
        var root = Path.GetDirectoryName(_folder)!;
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task DataSurvivesReopeningTheFile()
    {
        string etag;
        using (var first = new SqliteTableStore(DatabasePath))
        {
            etag = await first.InsertAsync("jobs", new TableEntity("p", "r").With("State", "done").With("N", 7));
        }

        using var second = new SqliteTableStore(DatabasePath);
        var read = await second.GetAsync("jobs", "p", "r");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal("done", read["State"]);
        Assert.Equal(7L, read["N"]);
    }

    [Fact]
    public async Task TwoInstancesOnOneFileDoNotLoseIncrements()
    {
        // Each instance queues only its own writers, so this exercises SQLite's locking between them.
        var stores = new[] { OpenStore(), OpenStore() };
        await stores[0].InsertAsync("counters", new TableEntity("p", "c").With("N", 0));

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => IncrementAsync(stores[i % 2]))));

        Assert.Equal(60L, (await stores[1].GetAsync("counters", "p", "c"))!.GetInt64("N"));

        static async Task IncrementAsync(ITableStore store)
        {
            while (true)
            {
                var current = (await store.GetAsync("counters", "p", "c"))!;
                current["N"] = current.GetInt64("N")!.Value + 1;
                try
                {
                    await store.ReplaceAsync("counters", current, current.ETag!);
                    return;
                }
                catch (TableStoreException e) when (e.IsPreconditionFailed)
                {
                }
            }
        }
    }

    [Fact]
    public async Task RowKeysOutsideTheBmpSortInUtf16OrdinalOrder()
    {
        // UTF-8 byte order would put U+1F600 after U+FFFF and so outside the prefix range.
        string[] keys = ["a😀", "a\uffef", "a\ue000", "a", "b"];
        foreach (var k in keys) await Store.InsertAsync("emoji", new TableEntity("p", k));

        var all = await Store.QueryAsync("emoji", new TableQuery("p"));
        var prefixed = await Store.QueryAsync("emoji", TableQuery.Prefix("p", "a") with { Take = 2 });
        var rest = await Store.QueryAsync("emoji", TableQuery.Prefix("p", "a") with { ContinuationToken = prefixed.ContinuationToken });

        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Items.Select(e => e.RowKey));
        Assert.Equal(["a", "a😀", "a\ue000", "a\uffef"], prefixed.Items.Concat(rest.Items).Select(e => e.RowKey));
    }

    [Fact]
    public async Task UnpairedSurrogateInKeyIsRejected()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync("keys", new TableEntity("p", "a\ud800")));
    }

    [Fact]
    public async Task SpecialDoublesRoundTrip()
    {
        double[] values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MinValue];
        var entity = new TableEntity("p", "r");
        for (var i = 0; i < values.Length; i++) entity[$"D{i}"] = values[i];
        await Store.InsertAsync("doubles", entity);

        var read = (await Store.GetAsync("doubles", "p", "r"))!;

        for (var i = 0; i < values.Length; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(read.GetDouble($"D{i}")!.Value));
    }

    [Fact]
    public async Task TakeIsClampedTo1Through1000()
    {
        for (var b = 0; b < 11; b++)
        {
            var ops = Enumerable.Range(b * 100, 100).Select(i => TableOperation.Insert(new TableEntity("p", $"r{i:D5}"))).ToList();
            await Store.ExecuteBatchAsync("many", ops);
        }

        var none = await Store.QueryAsync("many", new TableQuery("p") { Take = 0 });
        var huge = await Store.QueryAsync("many", new TableQuery("p") { Take = 5000 });

        Assert.Single(none.Items);
        Assert.NotNull(none.ContinuationToken);
        Assert.Equal(1000, huge.Items.Count);
        Assert.NotNull(huge.ContinuationToken);
    }

    [Fact]
    public async Task MalformedContinuationTokenIsRejected()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.QueryAsync("tokens", new TableQuery("p") { ContinuationToken = "***" }));
    }

    [Fact]
    public async Task DisposedStoreRefusesWork()
    {
        var store = OpenStore();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync("gone", "p", "r"));
    }
}
