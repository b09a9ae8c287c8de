using Wati.Platform.Data;

namespace Wati.Tests.Data;

public abstract partial class TableStoreContract
{
    [Fact]
    public async Task BatchAppliesEveryKindOfOperation()
    {
        var table = NewTableName();
        var replaceTag = await Store.InsertAsync(table, new TableEntity("p", "replace").With("A", 1).With("B", 1));
        var mergeTag = await Store.InsertAsync(table, new TableEntity("p", "merge").With("A", 1).With("B", 1));
        await Store.InsertAsync(table, new TableEntity("p", "delete"));

        var etags = await Store.ExecuteBatchAsync(table,
        [
            TableOperation.Insert(new TableEntity("p", "insert").With("A", 1)),
            TableOperation.Upsert(new TableEntity("p", "upsert").With("A", 1)),
            TableOperation.Replace(new TableEntity("p", "replace").With("A", 2), replaceTag),
            TableOperation.Merge(new TableEntity("p", "merge").With("A", 2), mergeTag),
            TableOperation.Delete("p", "delete"),
        ]);

        Assert.Equal(5, etags.Count);
        Assert.Equal("", etags[4]);
        Assert.Equal(etags[0], (await Store.GetAsync(table, "p", "insert"))!.ETag);
        Assert.Equal(etags[1], (await Store.GetAsync(table, "p", "upsert"))!.ETag);
        var replaced = await Store.GetAsync(table, "p", "replace");
        Assert.Equal(etags[2], replaced!.ETag);
        Assert.Equal(2L, replaced["A"]);
        Assert.False(replaced.Properties.ContainsKey("B"));
        var merged = await Store.GetAsync(table, "p", "merge");
        Assert.Equal(etags[3], merged!.ETag);
        Assert.Equal(2L, merged["A"]);
        Assert.Equal(1L, merged["B"]);
        Assert.Null(await Store.GetAsync(table, "p", "delete"));
    }

    [Fact]
    public async Task BatchIsRolledBackEntirelyWhenAnOperationConflicts()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "c").With("V", "original"));
        await Store.InsertAsync(table, new TableEntity("p", "d"));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ExecuteBatchAsync(table,
        [
            TableOperation.Insert(new TableEntity("p", "a")),
            TableOperation.Delete("p", "d"),
            TableOperation.Insert(new TableEntity("p", "c").With("V", "changed")),
            TableOperation.Insert(new TableEntity("p", "e")),
        ]));

        Assert.Equal(409, e.Status);
        Assert.Equal(2, e.FailedIndex);
        Assert.Null(await Store.GetAsync(table, "p", "a"));
        Assert.NotNull(await Store.GetAsync(table, "p", "d"));
        Assert.Null(await Store.GetAsync(table, "p", "e"));
        Assert.Equal("original", (await Store.GetAsync(table, "p", "c"))!["V"]);
    }

    [Fact]
    public async Task BatchWithStaleETagFailsAtThatOperation()
    {
        var table = NewTableName();
        var stale = await Store.InsertAsync(table, new TableEntity("p", "r"));
        await Store.UpsertAsync(table, new TableEntity("p", "r"));

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ExecuteBatchAsync(table,
        [
            TableOperation.Upsert(new TableEntity("p", "other")),
            TableOperation.Replace(new TableEntity("p", "r"), stale),
        ]));

        Assert.Equal(412, e.Status);
        Assert.Equal(1, e.FailedIndex);
        Assert.Null(await Store.GetAsync(table, "p", "other"));
    }

    [Fact]
    public async Task BatchDeleteOfMissingRowFailsTheBatch()
    {
        var table = NewTableName();

        var e = await Assert.ThrowsAsync<TableStoreException>(() => Store.ExecuteBatchAsync(table,
        [
            TableOperation.Insert(new TableEntity("p", "a")),
            TableOperation.Delete("p", "missing"),
        ]));

        Assert.Equal(404, e.Status);
        Assert.Equal(1, e.FailedIndex);
        Assert.Null(await Store.GetAsync(table, "p", "a"));
    }

    [Fact]
    public async Task BatchWithMixedPartitionKeysIsRejected()
    {
        var table = NewTableName();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExecuteBatchAsync(table,
        [
            TableOperation.Insert(new TableEntity("p1", "a")),
            TableOperation.Insert(new TableEntity("p2", "b")),
        ]));

        Assert.Null(await Store.GetAsync(table, "p1", "a"));
    }

    [Fact]
    public async Task BatchWithRepeatedRowKeyIsRejected()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExecuteBatchAsync(NewTableName(),
        [
            TableOperation.Insert(new TableEntity("p", "a")),
            TableOperation.Merge(new TableEntity("p", "a"), "*"),
        ]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task BatchOutside1To100OperationsIsRejected(int count)
    {
        var ops = Enumerable.Range(0, count).Select(i => TableOperation.Insert(new TableEntity("p", $"r{i}"))).ToList();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExecuteBatchAsync(NewTableName(), ops));
    }

    [Fact]
    public async Task BatchOfExactly100OperationsIsAccepted()
    {
        var ops = Enumerable.Range(0, 100).Select(i => TableOperation.Insert(new TableEntity("p", $"r{i:D3}"))).ToList();

        var etags = await Store.ExecuteBatchAsync(NewTableName(), ops);

        Assert.Equal(100, etags.Count);
    }

    // ---- concurrency ----

    [Fact]
    public async Task ConcurrentOptimisticIncrementsAreNeverLost()
    {
        const int Writers = 200;
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "counter").With("N", 0));

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(IncrementAsync)));

        Assert.Equal(Writers, (await Store.GetAsync(table, "p", "counter"))!.GetInt64("N"));

        async Task IncrementAsync()
        {
            while (true)
            {
                var current = (await Store.GetAsync(table, "p", "counter"))!;
                current["N"] = current.GetInt64("N")!.Value + 1;
                try
                {
                    await Store.ReplaceAsync(table, current, current.ETag!);
                    return;
                }
                catch (TableStoreException e) when (e.IsPreconditionFailed)
                {
                    // Someone else won this round; read again and retry.
                }
            }
        }
    }

    // ---- argument rules ----

    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("1abc")]
    [InlineData("ab-c")]
    [InlineData("ab_c")]
    [InlineData("ab c")]
    [InlineData("tables")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd")]
    public async Task InvalidTableNameIsRejected(string table)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(table, "p", "r"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity("p", "r")));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("A1b2C3")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc")]
    public async Task ValidTableNameIsAccepted(string table)
    {
        // Upsert, not insert: on a real service the table may survive from an earlier run.
        await Store.UpsertAsync(table, new TableEntity("p", "r"));

        Assert.NotNull(await Store.GetAsync(table, "p", "r"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\tb")]
    [InlineData("a\u0000b")]
    [InlineData("a\u007fb")]
    [InlineData("a\u0085b")]
    public async Task InvalidKeyIsRejected(string key)
    {
        var table = NewTableName();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity(key, "r")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity("p", key)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetAsync(table, "p", key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(table, key, "r"));
    }

    [Fact]
    public async Task KeyLongerThan1KiBIsRejected()
    {
        // 1 KiB of UTF-16, the encoding Azure sizes strings in.
        var table = NewTableName();
        var longest = new string('k', 512);
        await Store.InsertAsync(table, new TableEntity("p", longest));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity("p", longest + "k")));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity(longest + "k", "r")));
    }

    [Fact]
    public async Task PropertyValuesLargerThan64KiBAreRejected()
    {
        var table = NewTableName();
        await Store.InsertAsync(table, new TableEntity("p", "max").With("S", new string('s', 32 * 1024)).With("B", new byte[64 * 1024]));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity("p", "s").With("S", new string('s', 32 * 1024 + 1))));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(table, new TableEntity("p", "b").With("B", new byte[64 * 1024 + 1])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1st")]
    [InlineData("with-dash")]
    [InlineData("with space")]
    [InlineData("PartitionKey")]
    [InlineData("RowKey")]
    [InlineData("Timestamp")]
    public async Task InvalidPropertyNameIsRejected(string name)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.InsertAsync(NewTableName(), new TableEntity("p", "r").With(name, 1)));
    }
}
