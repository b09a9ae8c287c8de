using Wati.Platform.Data;

namespace Wati.Tests.Data;

/// <summary>
/// Behaviour every <see cref="ITableStore"/> backend must show. A backend's test class derives from
/// this and supplies the store; xunit runs each fact on a fresh instance of that class.
/// </summary>
public abstract partial class TableStoreContract
{
    private ITableStore? _store;

    /// <summary>Called once per test; the deriving class owns and cleans up what it returns.</summary>
    protected abstract ITableStore CreateStore();

    /// <summary>A table no other test uses. Override to track names for clean-up on a shared service.</summary>
    protected virtual string NewTableName() => "t" + Guid.NewGuid().ToString("N");

    protected ITableStore Store => _store ??= CreateStore();

    // ---- entities and property types ----

    [Fact]
    public async Task EveryPropertyTypeRoundTrips()
    {
        var table = NewTableName();
        var bytes = new byte[] { 0, 1, 2, 254, 255 };
        var local = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(5.5)).AddTicks(1234567);
        var entity = new TableEntity("p", "r")
            .With("Text", "héllo ✓ \"quoted\"")
            .With("Empty", "")
            .With("Big", long.MaxValue - 1)
            .With("Small", long.MinValue + 1)
            .With("Int", 42)
            .With("Yes", true)
            .With("No", false)
            .With("Ratio", 0.1 + 0.2)
            .With("Huge", 1.7976931348623157e308)
            .With("At", local)
            .With("Bytes", bytes)
            .With("Nothing", null);

        var etag = await Store.InsertAsync(table, entity);
        var read = await Store.GetAsync(table, "p", "r");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal("héllo ✓ \"quoted\"", read["Text"]);
        Assert.Equal("", read["Empty"]);
        Assert.Equal(long.MaxValue - 1, read["Big"]);
        Assert.Equal(long.MinValue + 1, read["Small"]);
        Assert.Equal(42L, read["Int"]);
        Assert.Equal(true, read["Yes"]);
        Assert.Equal(false, read["No"]);
        Assert.Equal(0.1 + 0.2, read["Ratio"]);
        Assert.Equal(1.7976931348623157e308, read["Huge"]);
        var at = Assert.IsType<DateTimeOffset>(read["At"]);
        Assert.Equal(TimeSpan.Zero, at.Offset);
        Assert.Equal(local.UtcTicks, at.UtcTicks);
        Assert.Equal(bytes, read["Bytes"]);
        Assert.False(read.Properties.ContainsKey("Nothing"));
        Assert.Equal(11, read.Properties.Count);
    }

    [Fact]
    public async Task GetOfMissingRowReturnsNull()
    {
        Assert.Null(await Store.GetAsync(NewTableName(), "p", "nope"));
    }

    [Fact]
    public async Task InsertOfExistingRowIsConflict()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "r").With("V", 1));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.InsertAsync(table, new TableEntity("p", "r").With("V", 2)));

        Assert.Equal(409, e.Status);
        Assert.Equal(1L, (await Store.GetAsync(table, "p", "r"))!["V"]);
    }

    [Fact]
    public async Task EveryWriteIssuesANewETag()
    {
        var table = NewTableName();
        var e = new TableEntity("p", "r").With("V", 1);
        var etags = new List<string>
        {
            await Store.InsertAsync(table, e),
            await Store.UpsertAsync(table, e),
        };
        etags.Add(await Store.ReplaceAsync(table, e, etags[^1]));
        etags.Add(await Store.MergeAsync(table, e, etags[^1]));

        Assert.Equal(etags.Count, etags.Distinct().Count());
        Assert.Equal(etags[^1], (await Store.GetAsync(table, "p", "r"))!.ETag);
    }

    [Fact]
    public async Task UnsupportedPropertyTypeIsRejected()
    {
        var entity = new TableEntity("p", "r").With("Id", Guid.NewGuid());

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(NewTableName(), entity));
    }

    // ---- upsert, replace, merge ----

    [Fact]
    public async Task UpsertInsertsThenReplacesWholeEntity()
    {
        var table = NewTableName();
        await Store.UpsertAsync(table, new TableEntity("p", "r").With("A", 1).With("B", 2));
        await Store.UpsertAsync(table, new TableEntity("p", "r").With("A", 10));

        var read = await Store.GetAsync(table, "p", "r");
        Assert.Equal(10L, read!["A"]);
        Assert.False(read.Properties.ContainsKey("B"));
    }

    [Fact]
    public async Task ReplaceWithMatchingETagSucceedsAndDropsUnmentionedProperties()
    {
        var table = NewTableName();
        var etag = await Store.InsertAsync(table, new TableEntity("p", "r").With("A", 1).With("B", 2));

        var newEtag = await Store.ReplaceAsync(table, new TableEntity("p", "r").With("A", 3), etag);

        var read = await Store.GetAsync(table, "p", "r");
        Assert.Equal(newEtag, read!.ETag);
        Assert.Equal(3L, read["A"]);
        Assert.False(read.Properties.ContainsKey("B"));
    }

    [Fact]
    public async Task ReplaceWithStaleETagIsPreconditionFailed()
    {
        var table = NewTableName();
        var stale = await Store.InsertAsync(table, new TableEntity("p", "r").With("A", 1));
        await Store.UpsertAsync(table, new TableEntity("p", "r").With("A", 2));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ReplaceAsync(table, new TableEntity("p", "r").With("A", 3), stale));

        Assert.Equal(412, e.Status);
        Assert.Equal(2L, (await Store.GetAsync(table, "p", "r"))!["A"]);
    }

    [Fact]
    public async Task ReplaceWithStarIgnoresTheStoredETag()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "r").With("A", 1));

        await Store.ReplaceAsync(table, new TableEntity("p", "r").With("A", 2), "*");

        Assert.Equal(2L, (await Store.GetAsync(table, "p", "r"))!["A"]);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("W/\"made-up\"")]
    public async Task ReplaceOfMissingRowIsNotFound(string ifMatch)
    {
        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ReplaceAsync(NewTableName(), new TableEntity("p", "r"), ifMatch));

        Assert.Equal(404, e.Status);
    }

    [Fact]
    public async Task MergeKeepsUnmentionedPropertiesAndIgnoresNulls()
    {
        var table = NewTableName();
        var etag = await Store.InsertAsync(table, new TableEntity("p", "r").With("A", 1).With("B", "keep"));

        await Store.MergeAsync(table, new TableEntity("p", "r").With("A", 2).With("C", true).With("B", null), etag);

        var read = await Store.GetAsync(table, "p", "r");
        Assert.Equal(2L, read!["A"]);
        Assert.Equal("keep", read["B"]);
        Assert.Equal(true, read["C"]);
    }

    [Fact]
    public async Task MergeWithStaleETagIsPreconditionFailed()
    {
        var table = NewTableName();
        var stale = await Store.InsertAsync(table, new TableEntity("p", "r").With("A", 1));
        await Store.MergeAsync(table, new TableEntity("p", "r").With("A", 2), "*");

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.MergeAsync(table, new TableEntity("p", "r").With("A", 3), stale));

        Assert.Equal(412, e.Status);
        Assert.Equal(2L, (await Store.GetAsync(table, "p", "r"))!["A"]);
    }

    [Fact]
    public async Task MergeOfMissingRowIsNotFound()
    {
        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.MergeAsync(NewTableName(), new TableEntity("p", "r").With("A", 1), "*"));

        Assert.Equal(404, e.Status);
    }

    // ---- delete ----

    [Fact]
    public async Task DeleteWithoutETagRemovesTheRow()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "r"));

        Assert.True(await Store.DeleteAsync(table, "p", "r"));
        Assert.Null(await Store.GetAsync(table, "p", "r"));
    }

    [Fact]
    public async Task DeleteWithMatchingETagRemovesTheRow()
    {
        var table = NewTableName();
        var etag = await Store.InsertAsync(table, new TableEntity("p", "r"));

        Assert.True(await Store.DeleteAsync(table, "p", "r", etag));
        Assert.Null(await Store.GetAsync(table, "p", "r"));
    }

    [Fact]
    public async Task DeleteWithStaleETagIsPreconditionFailedAndKeepsTheRow()
    {
        var table = NewTableName();
        var stale = await Store.InsertAsync(table, new TableEntity("p", "r"));
        await Store.UpsertAsync(table, new TableEntity("p", "r"));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.DeleteAsync(table, "p", "r", stale));

        Assert.Equal(412, e.Status);
        Assert.NotNull(await Store.GetAsync(table, "p", "r"));
    }

    [Fact]
    public async Task DeleteOfMissingRowReturnsFalse()
    {
        Assert.False(await Store.DeleteAsync(NewTableName(), "p", "nope"));
    }

    [Fact]
    public async Task ETagOfDeletedRowDoesNotMatchItsSuccessor()
    {
        var table = NewTableName();
        var old = await Store.InsertAsync(table, new TableEntity("p", "r"));
        await Store.DeleteAsync(table, "p", "r");
        await Store.InsertAsync(table, new TableEntity("p", "r"));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ReplaceAsync(table, new TableEntity("p", "r"), old));

        Assert.Equal(412, e.Status);
    }
}
