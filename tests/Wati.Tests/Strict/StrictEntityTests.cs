using Azure;
using Azure.Data.Tables;

namespace Wati.Tests.Strict;

/// <summary>
/// Rules T2/T3 of the strict layer, on single writes: a property over 64 KiB (strings as UTF-16) is
/// PropertyValueTooLarge, an entity over 1 MiB (Azure's size formula) is EntityTooLarge
/// ("Understanding the Table service data model", "Table Storage error codes").
/// </summary>
public sealed class StrictEntityTests
{
    /// <summary>20 ASCII strings of 30,000 characters: about 1.2 MB as Azure counts (UTF-16), 0.6 MB as UTF-8.</summary>
    private static TableEntity WideEntity(string rowKey)
    {
        var entity = new TableEntity("p", rowKey);
        for (var i = 0; i < 20; i++) entity[$"Text{i:D2}"] = new string((char)('a' + i), 30_000);
        return entity;
    }

    [Fact]
    public async Task An_entity_over_1MiB_in_UTF16_is_refused_with_EntityTooLarge_where_Azurite_stores_it()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        var raw = StrictEndpoints.RawTables().GetTableClient(strict.Name);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => strict.AddEntityAsync(WideEntity("strict")));
        await raw.AddEntityAsync(WideEntity("raw"));

        Assert.Equal((400, "EntityTooLarge"), (refused.Status, refused.ErrorCode));
        Assert.False((await strict.GetEntityIfExistsAsync<TableEntity>("p", "strict")).HasValue);
        Assert.True((await strict.GetEntityIfExistsAsync<TableEntity>("p", "raw")).HasValue);
    }

    [Theory]
    [InlineData(TableUpdateMode.Merge)]
    [InlineData(TableUpdateMode.Replace)]
    public async Task Updates_and_upserts_are_held_to_the_entity_limit(TableUpdateMode mode)
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        await strict.AddEntityAsync(new TableEntity("p", "r"));

        var update = await Assert.ThrowsAsync<RequestFailedException>(() => strict.UpdateEntityAsync(WideEntity("r"), ETag.All, mode));
        var upsert = await Assert.ThrowsAsync<RequestFailedException>(() => strict.UpsertEntityAsync(WideEntity("r"), mode));

        Assert.Equal("EntityTooLarge", update.ErrorCode);
        Assert.Equal("EntityTooLarge", upsert.ErrorCode);
    }

    [Fact]
    public async Task A_string_over_32Ki_characters_is_refused_with_PropertyValueTooLarge()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            strict.AddEntityAsync(new TableEntity("p", "r") { ["Text"] = new string('é', 32 * 1024 + 1) }));
        await strict.AddEntityAsync(new TableEntity("p", "ok") { ["Text"] = new string('é', 32 * 1024) });

        Assert.Equal((400, "PropertyValueTooLarge"), (refused.Status, refused.ErrorCode));
        Assert.Equal(32 * 1024, ((string)(await strict.GetEntityAsync<TableEntity>("p", "ok")).Value["Text"]).Length);
    }

    [Fact]
    public async Task A_binary_over_64KiB_is_refused_with_PropertyValueTooLarge()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            strict.AddEntityAsync(new TableEntity("p", "r") { ["Bytes"] = new byte[64 * 1024 + 1] }));
        await strict.AddEntityAsync(new TableEntity("p", "ok") { ["Bytes"] = new byte[64 * 1024] });

        Assert.Equal((400, "PropertyValueTooLarge"), (refused.Status, refused.ErrorCode));
    }
}
