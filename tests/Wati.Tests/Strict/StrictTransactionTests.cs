using Azure;
using Azure.Data.Tables;

namespace Wati.Tests.Strict;

/// <summary>
/// Rule T4 of the strict layer, entity group transactions ("Performing entity group transactions"): at
/// most 100 operations, 4 MiB, one partition, and each entity within T2/T3. Refusals inside the change
/// set come back as Azure sends them (202 with one 400 sub-response naming the operation's index).
/// </summary>
public sealed class StrictTransactionTests
{
    private static TableTransactionAction Add(string partitionKey, string rowKey) =>
        new(TableTransactionActionType.Add, new TableEntity(partitionKey, rowKey));

    [Fact]
    public async Task A_transaction_across_partitions_is_refused_where_Azurite_applies_it()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        var raw = StrictEndpoints.RawTables().GetTableClient(strict.Name);

        var refused = await Assert.ThrowsAsync<TableTransactionFailedException>(() =>
            strict.SubmitTransactionAsync([Add("a", "1"), Add("a", "2"), Add("b", "3")]));
        await raw.SubmitTransactionAsync([Add("c", "1"), Add("d", "2")]);

        Assert.Equal("CommandsInBatchActOnDifferentPartitions", refused.ErrorCode);
        Assert.Equal(2, refused.FailedTransactionActionIndex);
        Assert.False((await strict.GetEntityIfExistsAsync<TableEntity>("a", "1")).HasValue);
        Assert.True((await strict.GetEntityIfExistsAsync<TableEntity>("d", "2")).HasValue);
    }

    [Fact]
    public async Task A_transaction_of_101_operations_is_refused_with_InvalidInput()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());

        var refused = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            strict.SubmitTransactionAsync(Enumerable.Range(0, 101).Select(i => Add("p", $"r{i:D3}"))));

        Assert.Equal("InvalidInput", refused.ErrorCode);
        Assert.Contains("exceeds the maximum 100 changes per change set", refused.Message, StringComparison.Ordinal);
        Assert.False((await strict.GetEntityIfExistsAsync<TableEntity>("p", "r000")).HasValue);
    }

    [Fact]
    public async Task A_transaction_of_100_operations_passes()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());

        var response = await strict.SubmitTransactionAsync(Enumerable.Range(0, 100).Select(i => Add("p", $"r{i:D3}")));

        Assert.Equal(100, response.Value.Count);
        Assert.True((await strict.GetEntityIfExistsAsync<TableEntity>("p", "r099")).HasValue);
    }

    [Fact]
    public async Task A_transaction_over_4MiB_is_refused_with_RequestBodyTooLarge()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        // 50 entities of 3 x 30,000 ASCII characters: each well under 1 MiB, the body about 4.5 MB.
        var actions = Enumerable.Range(0, 50).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity("p", $"r{i:D2}") { ["A"] = new string('a', 30_000), ["B"] = new string('b', 30_000), ["C"] = new string('c', 30_000) }));

        var refused = await Assert.ThrowsAnyAsync<RequestFailedException>(() => strict.SubmitTransactionAsync(actions));

        Assert.Equal((413, "RequestBodyTooLarge"), (refused.Status, refused.ErrorCode));
        Assert.False((await strict.GetEntityIfExistsAsync<TableEntity>("p", "r00")).HasValue);
    }

    [Fact]
    public async Task An_oversized_entity_inside_a_transaction_is_refused_at_its_index()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        var wide = new TableEntity("p", "wide");
        for (var i = 0; i < 20; i++) wide[$"Text{i:D2}"] = new string('w', 30_000);
        var long64 = new TableEntity("p", "long") { ["Text"] = new string('x', 32 * 1024 + 1) };

        var entity = await Assert.ThrowsAsync<TableTransactionFailedException>(() =>
            strict.SubmitTransactionAsync([Add("p", "a"), Add("p", "b"), new(TableTransactionActionType.UpsertReplace, wide)]));
        var property = await Assert.ThrowsAsync<TableTransactionFailedException>(() =>
            strict.SubmitTransactionAsync([Add("p", "c"), new(TableTransactionActionType.UpdateMerge, long64, ETag.All)]));

        Assert.Equal(("EntityTooLarge", 2), (entity.ErrorCode, entity.FailedTransactionActionIndex));
        Assert.Equal(("PropertyValueTooLarge", 1), (property.ErrorCode, property.FailedTransactionActionIndex));
        Assert.False((await strict.GetEntityIfExistsAsync<TableEntity>("p", "a")).HasValue);
    }
}
