using System.Net;
using Azure.Data.Tables;
using Wati.Tests.Support;

namespace Wati.Tests.Strict;

/// <summary>
/// What the strict layer lets through it leaves alone: bodies and headers byte for byte (SharedKey
/// signatures survive), large legal entities, and Azurite's own answers, errors included.
/// </summary>
public sealed class StrictPassThroughTests
{
    [Fact]
    public async Task A_large_legal_entity_round_trips_byte_exact()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        var random = new Random(17);
        var bytes = new byte[64 * 1024];
        random.NextBytes(bytes);
        var text = string.Concat(Enumerable.Range(0, 30_000).Select(i => (char)random.Next(0x20, 0xD7FF)));
        var entity = new TableEntity("p", "big") { ["Bytes"] = bytes, ["Text"] = text };
        for (var i = 0; i < 10; i++) entity[$"More{i}"] = new string((char)('a' + i), 30_000);

        await strict.AddEntityAsync(entity);
        var read = (await strict.GetEntityAsync<TableEntity>("p", "big")).Value;

        Assert.Equal(bytes, read.GetBinary("Bytes"));
        Assert.Equal(text, read.GetString("Text"));
        Assert.Equal(new string('j', 30_000), read.GetString("More9"));
    }

    [Fact]
    public async Task Azurite_errors_come_back_unchanged()
    {
        var strict = await StrictEndpoints.NewTableAsync(StrictEndpoints.StrictTables());
        await strict.AddEntityAsync(new TableEntity("p", "r"));

        var conflict = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => strict.AddEntityAsync(new TableEntity("p", "r")));
        var missing = await strict.GetEntityIfExistsAsync<TableEntity>("p", "nope");

        Assert.Equal((409, "EntityAlreadyExists"), (conflict.Status, conflict.ErrorCode));
        Assert.False(missing.HasValue);
    }

    [Fact]
    public async Task A_wrong_signature_is_refused_by_Azurite_behind_the_layer_as_it_is_directly()
    {
        var table = "s" + Guid.NewGuid().ToString("N");

        var strict = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => Forged(Emulators.AzuriteTables).CreateTableIfNotExistsAsync(table));
        var raw = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            Forged(StrictEndpoints.RawTablesConnectionString).CreateTableIfNotExistsAsync(table));

        Assert.Equal((int)HttpStatusCode.Forbidden, strict.Status);
        Assert.Equal((raw.Status, raw.ErrorCode), (strict.Status, strict.ErrorCode));
    }

    private static TableServiceClient Forged(string connectionString)
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        return new TableServiceClient(connectionString.Replace("AccountKey=Eby8", "AccountKey=Xby8", StringComparison.Ordinal), options);
    }

    [Fact]
    public async Task Queue_messages_pass_both_ways()
    {
        var queue = StrictEndpoints.StrictQueues().GetQueueClient("s" + Guid.NewGuid().ToString("N"));
        await queue.CreateIfNotExistsAsync();
        var text = new string('q', 48 * 1024);

        await queue.SendMessageAsync(text);
        var received = await queue.ReceiveMessageAsync();

        Assert.Equal(text, received.Value.MessageText);
    }
}
