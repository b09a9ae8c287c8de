using System.Text;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Wati.Platform.Batches;
using Wati.Platform.Common;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Platform.Webhooks;
using Wati.Tests.Composition;
using Wati.Tests.Support;

namespace Wati.Tests.Queue;

/// <summary>
/// Field report (issue 17), on Azurite's queues: a body that is not base64 threw on every receive and cycled
/// for ever; a base64 body that is not a job message was deleted from the poison queue without a record;
/// a non-base64 message in a poison queue made the dead-letters admin route answer 500. Every undeliverable
/// message now ends in the poison queue, the ones no hook settles stay listed, and only an admin removes them.
/// </summary>
[Collection(AzuriteJobQueues.Name)]
public sealed class UndeliverableMessagesOnAzuriteTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static string NewQueue() => "jobs-u" + Guid.NewGuid().ToString("N")[..12];

    private static (StorageJobQueue Queue, UndecodableMessages Undecodable) Create()
    {
        var undecodable = new UndecodableMessages();
        var service = new QueueServiceClient(Emulators.AzuriteQueues, StorageJobQueue.ClientOptions(undecodable));
        return (new StorageJobQueue(service, new QueueOptions { MaxDeliveries = 2 }, undecodable), undecodable);
    }

    /// <summary>A client without any message encoding: it sends and reads the text as it is on the wire.</summary>
    private static async Task<QueueClient> RawAsync(string name)
    {
        var client = new QueueClient(Emulators.AzuriteQueues, name, new QueueClientOptions(StorageJobQueue.ClientOptions().Version));
        await client.CreateIfNotExistsAsync();
        return client;
    }

    [Fact]
    public async Task A_body_that_is_not_base64_moves_to_the_poison_queue_at_its_first_receive_and_is_counted()
    {
        var (queue, undecodable) = Create();
        var q = NewQueue();
        var raw = await RawAsync(q);
        await raw.SendMessageAsync("{not base64!}");
        await queue.EnqueueAsync(q, new QueueMessage("job_after", ModelNames.Gfpgan));

        // The job message behind it is delivered; the undecodable one is gone from the queue, not cycling.
        var lease = await queue.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(5));
        Assert.Equal("job_after", lease?.Message.Id);
        Assert.Equal(1, undecodable.Count);
        Assert.Equal(1, queue.UndecodableCount);
        Assert.Empty((await raw.PeekMessagesAsync(32)).Value);

        var letter = Assert.Single(await queue.GetDeadLettersAsync(q));
        Assert.Equal((null, "{not base64!}", StorageJobQueue.NotAJobMessage, q), (letter.Message, letter.Body, letter.Reason, letter.Queue));
        // Nothing for the dead-letter hook, and the hook's look leaves it listed.
        Assert.Empty(await queue.ReceiveDeadLettersAsync(q));
        Assert.Equal(letter.Id, Assert.Single(await queue.GetDeadLettersAsync(q)).Id);

        Assert.True(await queue.DeleteDeadLetterAsync(letter.Id));
        Assert.Empty(await queue.GetDeadLettersAsync(q));
        Assert.False(await queue.DeleteDeadLetterAsync(letter.Id));
    }

    [Fact]
    public async Task A_base64_body_that_is_not_a_job_message_stays_listed_in_the_poison_queue_until_an_admin_deletes_it()
    {
        var (queue, _) = Create();
        var q = NewQueue();
        await (await RawAsync(q)).SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes("hello, not json")));

        Assert.Null(await queue.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(1)));
        Assert.Empty(await queue.ReceiveDeadLettersAsync(q));
        Assert.Empty(await queue.ReceiveDeadLettersAsync(q));

        var letter = Assert.Single(await queue.GetDeadLettersAsync(q));
        Assert.Equal(("hello, not json", StorageJobQueue.NotAJobMessage), (letter.Body, letter.Reason));
        Assert.True(await queue.DeleteDeadLetterAsync(letter.Id));
        Assert.Empty(await queue.GetDeadLettersAsync(q));
    }

    [Fact]
    public async Task A_non_base64_message_in_a_poison_queue_is_listed_not_thrown()
    {
        var (queue, _) = Create();
        var q = NewQueue();
        await queue.CreateQueuesAsync([q]);
        await (await RawAsync(q + StorageJobQueue.PoisonSuffix)).SendMessageAsync("%%% not base64 %%%");
        await queue.EnqueueAsync(q, new QueueMessage("job_dead", ModelNames.Gfpgan));
        var lease = await queue.ReceiveAsync(q, Lease, TimeSpan.FromSeconds(5));
        Assert.True(await queue.DeadLetterAsync(lease!, "test"));

        var letters = await queue.GetDeadLettersAsync(q);

        Assert.Equal(2, letters.Count);
        Assert.Contains(letters, l => l.Body == "%%% not base64 %%%" && l.Message is null);
        Assert.Contains(letters, l => l.Message?.Id == "job_dead" && l.Body is null);
        // The hook gets the job's letter only; the foreign one stays listed.
        Assert.Equal("job_dead", Assert.Single(await queue.ReceiveDeadLettersAsync(q)).Message.Id);
        Assert.Contains(await queue.GetDeadLettersAsync(q), l => l.Body == "%%% not base64 %%%");
    }

    [Fact]
    public async Task The_admin_route_lists_a_non_base64_dead_letter_and_deletes_it()
    {
        var settings = AdapterSelectionTests.OnEmulators(await AdapterSelectionTests.NewBucketAsync());
        settings["Wati:Queue:Provider"] = "storage";
        settings["Wati:Queue:Storage:ConnectionString"] = Emulators.AzuriteQueues;
        using var app = new NoWorkers(settings);
        var admin = await app.Api().AdminAsync();
        var marker = "junk " + Guid.NewGuid().ToString("N");
        await (await RawAsync(JobSpecs.QueueOf(ModelNames.Gfpgan) + StorageJobQueue.PoisonSuffix)).SendMessageAsync(marker + " {");

        var listed = (await admin.GetAsync("/v1/admin/jobs/dead-letters?model=gfpgan&page_size=100")).Expect(200);
        var item = Assert.Single(listed.Data.GetProperty("items").EnumerateArray(), i => i.GetProperty("body").GetString() == marker + " {");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, item.GetProperty("job_id").ValueKind);
        var id = item.GetProperty("id").GetString()!;

        Assert.Equal(id, (await admin.DeleteAsync("/v1/admin/jobs/dead-letters/" + id)).Expect(200).Data.GetProperty("id").GetString());
        (await admin.DeleteAsync("/v1/admin/jobs/dead-letters/" + id)).Expect(404, "NOT_FOUND");
        var after = (await admin.GetAsync("/v1/admin/jobs/dead-letters?page_size=100")).Expect(200);
        Assert.DoesNotContain(after.Data.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == id);
        // A live queue's message can never be deleted through the route.
        (await admin.DeleteAsync("/v1/admin/jobs/dead-letters/" + JobSpecs.QueueOf(ModelNames.Gfpgan) + ".x")).Expect(404, "NOT_FOUND");
    }

    /// <summary>The webhooks queue's dead letters are listed like the jobs' (issue 17, item 6).</summary>
    [Fact]
    public async Task Dead_letters_of_the_webhooks_and_batches_queues_are_listed_by_the_admin_route()
    {
        var settings = AdapterSelectionTests.OnEmulators(await AdapterSelectionTests.NewBucketAsync());
        settings["Wati:Queue:Provider"] = "storage";
        settings["Wati:Queue:Storage:ConnectionString"] = Emulators.AzuriteQueues;
        using var app = new NoWorkers(settings);
        var admin = await app.Api().AdminAsync();
        var (queue, _) = Create();
        var eventId = "evt_" + Guid.NewGuid().ToString("N");
        var batchId = "bat_" + Guid.NewGuid().ToString("N");
        foreach (var (q, id) in new[] { (WebhookSender.Queue, eventId), (BatchesService.Queue, batchId) })
        {
            await (await RawAsync(q + StorageJobQueue.PoisonSuffix)).SendMessageAsync(
                Convert.ToBase64String(Encoding.UTF8.GetBytes($$"""{"job_id":"{{id}}","model":"x","attempt":1}""")));
        }

        var listed = (await admin.GetAsync("/v1/admin/jobs/dead-letters?page_size=100")).Expect(200).Data.GetProperty("items").EnumerateArray().ToList();

        Assert.Equal(WebhookSender.Queue, Assert.Single(listed, i => i.GetProperty("job_id").GetString() == eventId).GetProperty("queue").GetString());
        Assert.Equal(BatchesService.Queue, Assert.Single(listed, i => i.GetProperty("job_id").GetString() == batchId).GetProperty("queue").GetString());
        foreach (var i in listed.Where(i => i.GetProperty("job_id").GetString() is { } j && (j == eventId || j == batchId)))
            Assert.True(await queue.DeleteDeadLetterAsync(i.GetProperty("id").GetString()!));
    }

    /// <summary>A server whose queue consumers do not run, so nothing takes the poison messages meanwhile.</summary>
    private sealed class NoWorkers(Dictionary<string, string?> settings) : WatiAppFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.StopWorkers(typeof(QueuePump), typeof(PeriodicRunner)));
        }
    }
}
