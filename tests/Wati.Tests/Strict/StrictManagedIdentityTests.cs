using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Wati.Tests.Strict;

/// <summary>
/// Rule M1 of the strict layer: as the app's managed identity, which infra/main.bicep gives Storage Table
/// Data Contributor and Storage Queue Data Contributor, service-level operations (properties, statistics:
/// <c>?restype=service</c>) need tableServices/read or queueServices/read, which those roles lack, so Azure
/// answers 403 AuthorizationPermissionMismatch (Xabaril/AspNetCore.Diagnostics.HealthChecks #1409). Table-,
/// queue-, entity- and message-level work, listing included, is granted and passes.
/// </summary>
public sealed class StrictManagedIdentityTests
{
    [Fact]
    public async Task Queue_service_properties_are_refused_to_the_managed_identity_but_not_to_the_account_key()
    {
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => StrictEndpoints.ManagedIdentityQueues().GetPropertiesAsync());
        var statistics = await Assert.ThrowsAsync<RequestFailedException>(() => StrictEndpoints.ManagedIdentityQueues().GetStatisticsAsync());
        var asKey = await StrictEndpoints.StrictQueues().GetPropertiesAsync();

        Assert.Equal((403, "AuthorizationPermissionMismatch"), (refused.Status, refused.ErrorCode));
        Assert.Contains("not authorized to perform this operation using this permission", refused.Message, StringComparison.Ordinal);
        Assert.Equal((403, "AuthorizationPermissionMismatch"), (statistics.Status, statistics.ErrorCode));
        Assert.NotNull(asKey.Value);
    }

    [Fact]
    public async Task Table_service_properties_and_statistics_are_refused_to_the_managed_identity()
    {
        var service = StrictEndpoints.ManagedIdentityTables();

        var properties = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetPropertiesAsync());
        var statistics = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetStatisticsAsync());
        var asKey = await StrictEndpoints.StrictTables().GetPropertiesAsync();

        Assert.Equal((403, "AuthorizationPermissionMismatch"), (properties.Status, properties.ErrorCode));
        Assert.Equal((403, "AuthorizationPermissionMismatch"), (statistics.Status, statistics.ErrorCode));
        Assert.NotNull(asKey.Value);
    }

    [Fact]
    public async Task The_managed_identity_works_with_tables_entities_and_lists()
    {
        var service = StrictEndpoints.ManagedIdentityTables();
        var table = await StrictEndpoints.NewTableAsync(service);

        await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1L });
        var read = await table.GetEntityAsync<TableEntity>("p", "r");
        var listed = new List<string>();
        await foreach (var item in service.QueryAsync(t => t.Name == table.Name)) listed.Add(item.Name);
        var top1 = table.QueryAsync<TableEntity>(maxPerPage: 1).AsPages(pageSizeHint: 1);
        var first = 0;
        await foreach (var page in top1) { first = page.Values.Count; break; }

        Assert.Equal(1L, read.Value.GetInt64("V"));
        Assert.Equal([table.Name], listed);
        Assert.Equal(1, first);
    }

    [Fact]
    public async Task The_managed_identity_works_with_queues_messages_and_lists()
    {
        var service = StrictEndpoints.ManagedIdentityQueues();
        var queue = service.GetQueueClient("s" + Guid.NewGuid().ToString("N"));
        await queue.CreateIfNotExistsAsync();

        await queue.SendMessageAsync("hello");
        var properties = await queue.GetPropertiesAsync();
        var peeked = await queue.PeekMessageAsync();
        var received = await queue.ReceiveMessageAsync();
        await queue.DeleteMessageAsync(received.Value.MessageId, received.Value.PopReceipt);
        var listed = new List<string>();
        await foreach (var item in service.GetQueuesAsync(prefix: queue.Name)) listed.Add(item.Name);

        Assert.Equal(1, properties.Value.ApproximateMessagesCount);
        Assert.Equal("hello", peeked.Value.MessageText);
        Assert.Equal([queue.Name], listed);
    }
}
