using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Webhooks;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Webhooks;

/// <summary>
/// Issue 18: the <c>webhooks</c> queue had no dead-letter handling, so an event whose message was dead-lettered
/// stayed <c>pending</c> for ever and its deliveries log never said so. On the embedded queue, end to end: a
/// delivery whose worker died once too often is dead-lettered; the pump hands it to the webhook handler's hook,
/// which marks the event failed and logs the give-up where the owner reads the deliveries.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class WebhookDeadLetterTests
{
    /// <summary>A server whose pump and runner do not run, so the test drives the pump itself; one delivery per message.</summary>
    private sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Webhooks:AllowLoopback"] = "true",
        ["Wati:Queue:MaxDeliveries"] = "1",
    })
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.StopWorkers(typeof(QueuePump), typeof(PeriodicRunner)));
        }
    }

    [Fact]
    public async Task A_dead_lettered_webhook_delivery_marks_its_event_failed_and_the_deliveries_log_shows_it_given_up()
    {
        using var app = new App();
        var (user, userId) = await app.Api().NewUserAsync();
        var form = new MultipartFormDataContent { { new ByteArrayContent(VipsTestImages.Photo(48, 32)), "file", "p.jpg" } };
        var upload = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201).Data.GetProperty("items")[0].GetProperty("id").GetString();
        var batchId = (await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan", webhook_url = "http://127.0.0.1:9/hook",
            items = new[] { new { inputs = new { image = upload }, @params = new { scale = 1 } } },
        })).Expect(202).Data.GetProperty("id").GetString()!;

        // The batch's completion event, written and sent as the feeder does.
        var store = app.Services.GetRequiredService<ITableStore>();
        var sender = app.Services.GetRequiredService<WebhookSender>();
        var eventId = "evt_dead" + Guid.NewGuid().ToString("N")[..8];
        await store.InsertAsync(TableNames.Users, WebhookSender.EventRow(userId, eventId, "batch.completed", batchId, "http://127.0.0.1:9/hook", "{}",
            DateTimeOffset.UtcNow));
        await sender.SendAsync(userId, eventId, CancellationToken.None);

        // A delivery fails and gives its message back (its one delivery spent); the next receive dead-letters it.
        var queue = app.Services.GetRequiredService<IJobQueueConsumer>();
        var lease = await queue.ReceiveAsync(WebhookSender.Queue, TimeSpan.FromMinutes(1), TimeSpan.Zero);
        Assert.Equal(eventId, lease?.Message.Id);
        Assert.True(await queue.AbandonAsync(lease!, TimeSpan.Zero));
        Assert.Null(await queue.ReceiveAsync(WebhookSender.Queue, TimeSpan.FromMinutes(1), TimeSpan.Zero));

        var pump = ActivatorUtilities.CreateInstance<QueuePump>(app.Services);
        Assert.Equal(1, await pump.SettleDeadLettersAsync(CancellationToken.None));

        var ev = await store.GetAsync(TableNames.Users, userId, "whevent|" + eventId);
        Assert.Equal("failed", ev?.GetString("state"));
        var log = (await user.GetAsync($"/v1/batches/{batchId}/deliveries")).Expect(200).Data.GetProperty("items").EnumerateArray().ToList();
        var entry = Assert.Single(log, l => l.GetProperty("event_id").GetString() == eventId);
        Assert.False(entry.GetProperty("delivered").GetBoolean());
        Assert.StartsWith(WebhookSender.GivenUp, entry.GetProperty("error").GetString());
        Assert.Contains(SqliteJobQueue.MaxDeliveryCountExceeded, entry.GetProperty("error").GetString());

        // Acknowledged: not handed out again; and the hook is idempotent if it were.
        Assert.Equal(0, await pump.SettleDeadLettersAsync(CancellationToken.None));
        await app.Services.GetRequiredService<QueueHandlers>().For(WebhookSender.Queue)
            .HandleDeadLetterAsync(new QueueMessage(eventId, "webhook"), "again", CancellationToken.None);
        Assert.Single((await user.GetAsync($"/v1/batches/{batchId}/deliveries")).Expect(200).Data.GetProperty("items").EnumerateArray(),
            l => l.GetProperty("event_id").GetString() == eventId);
    }
}
