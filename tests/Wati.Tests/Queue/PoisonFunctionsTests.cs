using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wati.Functions.Batches;
using Wati.Functions.Jobs;
using Wati.Platform.Batches;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Tests.Composition;
using Wati.Tests.Functions;
using Wati.Tests.Support;

namespace Wati.Tests.Queue;

/// <summary>
/// Field report (issue 17): a poison-queue function that throws leaves its message cycling for ever (a
/// <c>-poison</c> queue has no poison queue). The functions are driven in-process with the worker's own
/// services on Azurite, their dead-letter hook failing (a table store that is down): they must return, and
/// hold what they could not settle where the admin route lists it.
/// </summary>
[Collection(AzuriteJobQueues.Name)]
public sealed class PoisonFunctionsTests : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = await FunctionsApp.AzureProfileOnEmulatorsAsync(_data.Path);
        settings["AzureWebJobsStorage"] = Emulators.AzuriteQueues;
        _host = FunctionsApp.Build(settings, s => s.AddSingleton(DispatchProxy.Create<ITableStore, DownTableStore>()));
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    private FakeFunctionContext Context() => new(_host.Services, new Dictionary<string, object?>());

    [Fact]
    public async Task A_job_poison_function_whose_hook_throws_returns_and_holds_the_message_for_the_admin()
    {
        var functions = ActivatorUtilities.CreateInstance<PoisonQueueFunctions>(_host.Services);
        var jobId = "job_p" + Guid.NewGuid().ToString("N");
        var foreign = "not a job " + Guid.NewGuid().ToString("N");

        await functions.JobsGfpganPoison($$"""{"job_id":"{{jobId}}","model":"gfpgan","attempt":1}""", Context());
        await functions.JobsGfpganPoison(foreign, Context());

        var queue = _host.Services.GetRequiredService<StorageJobQueue>();
        var letters = await queue.GetDeadLettersAsync(JobSpecs.QueueOf(ModelNames.Gfpgan));
        var held = Assert.Single(letters, l => l.Message?.Id == jobId);
        Assert.Equal(PoisonHandling.HookFailed, held.Reason);
        var other = Assert.Single(letters, l => l.Body == foreign);
        Assert.Equal(StorageJobQueue.NotAJobMessage, other.Reason);
        Assert.True(await queue.DeleteDeadLetterAsync(held.Id));
        Assert.True(await queue.DeleteDeadLetterAsync(other.Id));
    }

    [Fact]
    public async Task The_batches_poison_function_does_not_throw_on_a_foreign_body()
    {
        var functions = ActivatorUtilities.CreateInstance<PoisonQueueFunctions>(_host.Services);
        var foreign = "{\"not\":\"a batch\"} " + Guid.NewGuid().ToString("N");

        await functions.BatchesPoison(foreign, Context());

        var queue = _host.Services.GetRequiredService<StorageJobQueue>();
        var held = Assert.Single(await queue.GetDeadLettersAsync(BatchesService.Queue), l => l.Body == foreign);
        Assert.True(await queue.DeleteDeadLetterAsync(held.Id));
    }

    [Fact]
    public async Task The_webhooks_poison_function_settles_with_the_webhook_hook_and_holds_what_it_cannot_settle()
    {
        // Issue 18: the webhooks queue had no poison function, so its dead letters were never settled nor listed.
        var functions = ActivatorUtilities.CreateInstance<PoisonQueueFunctions>(_host.Services);
        var eventId = "evt_p" + Guid.NewGuid().ToString("N");

        await functions.WebhooksPoison($$"""{"job_id":"{{eventId}}","model":"webhook","attempt":1}""", Context());

        // The hook ran (the store is down, so it threw) and the message is held for the admin, not thrown back.
        var queue = _host.Services.GetRequiredService<StorageJobQueue>();
        var held = Assert.Single(await queue.GetDeadLettersAsync(Wati.Platform.Webhooks.WebhookSender.Queue), l => l.Message?.Id == eventId);
        Assert.Equal(PoisonHandling.HookFailed, held.Reason);
        Assert.True(await queue.DeleteDeadLetterAsync(held.Id));
    }

    /// <summary>A table store that is down: every call fails.</summary>
    public class DownTableStore : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => throw new IOException("the table store is down");
    }
}
