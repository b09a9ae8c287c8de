using Wati.Platform.Data;

namespace Wati.Tests.Data;

/// <summary>Azure's size limits, enforced by the port on every backend before anything is written.</summary>
public abstract partial class TableStoreContract
{
    private static TableEntity Wide(string rowKey, int strings) =>
        Enumerable.Range(0, strings).Aggregate(new TableEntity("p", rowKey), (e, i) => e.With($"S{i}", new string('s', 32 * 1024)));

    [Fact]
    public async Task EntityOver1MiBIsRejected()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, Wide("fits", 15));

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, Wide("big", 17)));

        Assert.Contains("1 MiB", e.Message);
        Assert.Null(await Store.GetAsync(table, "p", "big"));
    }

    [Fact]
    public async Task BatchOver4MiBIsRejectedBeforeAnythingIsWritten()
    {
        var table = NewTableName();
        var ops = Enumerable.Range(0, 5).Select(i => TableOperation.Insert(Wide($"r{i}", 15))).ToList();

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExecuteBatchAsync(table, ops));

        Assert.Contains("4 MiB", e.Message);
        Assert.Empty((await Store.QueryAsync(table, new TableQuery("p"))).Items);
    }

    [Theory]
    [InlineData(DateTimeKind.Utc)]
    [InlineData(DateTimeKind.Local)]
    [InlineData(DateTimeKind.Unspecified)]
    public async Task DateTimeOfAnyKindIsStoredAsUtc(DateTimeKind kind)
    {
        var table = NewTableName();
        var utc = new DateTime(2026, 3, 29, 1, 30, 0, DateTimeKind.Utc).AddTicks(1234567);
        var value = kind switch
        {
            DateTimeKind.Local => utc.ToLocalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified),
            _ => utc,
        };
        await Store.InsertAsync(table, new TableEntity("p", "r").With("At", value));

        var at = Assert.IsType<DateTimeOffset>((await Store.GetAsync(table, "p", "r"))!["At"]);

        Assert.Equal(TimeSpan.Zero, at.Offset);
        Assert.Equal(utc.Ticks, at.UtcTicks);
    }

    [Fact]
    public async Task PrefixQueryFindsKeysBeyondTheBasicMultilingualPlane()
    {
        var table = NewTableName();
        string[] keys = ["a", "a\uffff", "a😀", "a😀z", "b"];
        foreach (var k in keys) await Store.InsertAsync(table, new TableEntity("p", k));

        var page = await Store.QueryAsync(table, TableQuery.Prefix("p", "a"));

        // Ordinal order: the surrogates of 😀 (U+D83D …) sort before U+FFFF.
        Assert.Equal(["a", "a😀", "a😀z", "a\uffff"], page.Items.Select(e => e.RowKey));
    }
}
