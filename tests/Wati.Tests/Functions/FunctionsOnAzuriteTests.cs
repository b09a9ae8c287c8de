using System.Reflection;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wati.Functions.Http;
using Wati.Functions.Jobs;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Models;
using Wati.Tests.Api;
using Wati.Tests.Composition;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Functions;

/// <summary>
/// The worker's own services (the composition Program.cs uses) on the azure profile against Azurite and
/// s3rver, its functions driven in-process as the host would call them. Not run in parallel with other
/// suites: they share Azurite's model queues, whose messages these tests take off.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FunctionsOnAzuriteCollection
{
    public const string Name = "functions-on-azurite";
}

[Collection(FunctionsOnAzuriteCollection.Name)]
public sealed class FunctionsOnAzuriteTests : IAsyncLifetime
{
    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);
    private readonly TempDir _data = new();
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        var settings = await FunctionsApp.AzureProfileOnEmulatorsAsync(_data.Path);
        settings["Wati:Models:MaxRetries"] = "0"; // a transient model failure reaches the job, not the provider's own retries
        // No Wati:Queue:Storage: the adapter sends where the triggers listen, the host's own storage.
        settings["AzureWebJobsStorage"] = Emulators.AzuriteQueues;
        _host = FunctionsApp.Build(settings, DecorateModel);
    }

    public Task DisposeAsync()
    {
        _host.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    private T Function<T>() where T : class => ActivatorUtilities.CreateInstance<T>(_host.Services);

    [Fact]
    public void Every_function_class_resolves_from_the_workers_services()
    {
        var classes = typeof(JobQueueFunctions).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null)).ToList();

        Assert.True(classes.Count >= 9, string.Join(", ", classes.Select(c => c.Name)));
        Assert.All(classes, c => Assert.NotNull(ActivatorUtilities.CreateInstance(_host.Services, c)));
    }

    [Fact]
    public async Task A_job_submitted_through_the_http_function_runs_from_its_azurite_message_and_is_charged_once()
    {
        var (token, jobs) = await RegisterAsync();

        var submitted = await SubmitAsync(jobs, token);
        var (body, dequeueCount, receipt) = await TakeMessageAsync(submitted);
        await Function<JobQueueFunctions>().JobsGfpgan(body, Context(dequeueCount));
        await receipt();

        var job = await CallAsync(r => jobs.GetJob(r, submitted, default), "GET", $"/v1/jobs/{submitted}", token);
        Assert.Equal(200, job.Status);
        Assert.Equal("succeeded", job.Json.GetProperty("data").GetProperty("state").GetString());
        Assert.StartsWith(Emulators.S3ServiceUrl + "/", job.Json.GetProperty("data").GetProperty("url").GetString(), StringComparison.Ordinal);
        var credits = Function<CreditFunctions>();
        var balance = (await CallAsync(r => credits.GetCredits(r, default), "GET", "/v1/credits", token)).Json.GetProperty("data");
        Assert.Equal(("9", "0"), (balance.GetProperty("balance").GetString(), balance.GetProperty("reserved").GetString()));
        var ledger = (await CallAsync(r => credits.GetLedger(r, default), "GET", "/v1/credits/ledger", token)).Json.GetProperty("data").GetProperty("items");
        Assert.Equal([("-1", "9"), ("10", "10")], ledger.EnumerateArray()
            .Select(e => (e.GetProperty("amount").GetString(), e.GetProperty("balance_after").GetString())).ToArray());
    }

    [Fact]
    public async Task A_transient_failure_sends_the_message_again_later_with_the_next_attempt_and_completes_this_delivery()
    {
        var (token, jobs) = await RegisterAsync();
        var submitted = await SubmitAsync(jobs, token);
        var (body, dequeueCount, receipt) = await TakeMessageAsync(submitted);
        var queue = Function<JobQueueFunctions>();
        var model = _host.Services.GetRequiredService<FlakyModel>();
        model.FailNext(1);

        await queue.JobsGfpgan(body, Context(dequeueCount)); // returns: the host deletes this delivery
        await receipt();
        var (again, _, completeAgain) = await TakeMessageAsync(submitted);
        Assert.Equal(2, JsonDocument.Parse(again).RootElement.GetProperty("attempt").GetInt32());
        await queue.JobsGfpgan(again, Context(1));
        await completeAgain();

        var job = (await CallAsync(r => jobs.GetJob(r, submitted, default), "GET", $"/v1/jobs/{submitted}", token)).Json.GetProperty("data");
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(2, model.Calls);
        var ledger = (await CallAsync(r => Function<CreditFunctions>().GetLedger(r, default), "GET", "/v1/credits/ledger", token))
            .Json.GetProperty("data").GetProperty("items");
        Assert.Equal(["-1", "10"], ledger.EnumerateArray().Select(e => e.GetProperty("amount").GetString()!).ToArray());
    }

    [Fact]
    public async Task The_queue_function_rethrows_so_the_host_redelivers_and_the_job_stays_queued()
    {
        var (token, jobs) = await RegisterAsync();
        var submitted = await SubmitAsync(jobs, token);
        var (body, dequeueCount, _) = await TakeMessageAsync(submitted);
        var queue = Function<JobQueueFunctions>();

        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.JobsGfpgan(body, Context(dequeueCount, stopping.Token)));
        await Assert.ThrowsAsync<InvalidQueueMessageException>(() => queue.JobsGfpgan("{\"not\":\"a job\"}", Context(1)));

        var job = await CallAsync(r => jobs.GetJob(r, submitted, default), "GET", $"/v1/jobs/{submitted}", token);
        Assert.Equal("queued", job.Json.GetProperty("data").GetProperty("state").GetString());
        await queue.JobsGfpgan(body, Context(dequeueCount + 1)); // the redelivery
        job = await CallAsync(r => jobs.GetJob(r, submitted, default), "GET", $"/v1/jobs/{submitted}", token);
        Assert.Equal("succeeded", job.Json.GetProperty("data").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_poison_message_fails_and_refunds_its_job_once_however_often_it_is_delivered()
    {
        var (token, jobs) = await RegisterAsync();
        var submitted = await SubmitAsync(jobs, token);
        var (body, _, receipt) = await TakeMessageAsync(submitted);
        await receipt();
        var poison = Function<PoisonQueueFunctions>();

        await poison.JobsGfpganPoison(body, Context(1));
        await poison.JobsGfpganPoison(body, Context(2));
        await poison.JobsGfpganPoison("not json", Context(1));

        var job = (await CallAsync(r => jobs.GetJob(r, submitted, default), "GET", $"/v1/jobs/{submitted}", token)).Json.GetProperty("data");
        Assert.Equal("failed", job.GetProperty("state").GetString());
        var credits = Function<CreditFunctions>();
        var ledger = (await CallAsync(r => credits.GetLedger(r, default), "GET", "/v1/credits/ledger", token)).Json.GetProperty("data").GetProperty("items");
        Assert.Equal([("1", "10"), ("-1", "9"), ("10", "10")], ledger.EnumerateArray()
            .Select(e => (e.GetProperty("amount").GetString(), e.GetProperty("balance_after").GetString())).ToArray());
    }

    [Fact]
    public async Task Unknown_paths_and_wrong_methods_answer_the_envelope_through_the_catch_all()
    {
        var catchAll = Function<NoRouteFunction>();

        var unknown = await CallAsync(r => catchAll.NoRoute(r, default), "GET", "/v1/nothing/here");
        var wrongMethod = await CallAsync(r => catchAll.NoRoute(r, default), "PUT", "/v1/jobs/job_123");
        var files = await CallAsync(r => catchAll.NoRoute(r, default), "GET", "/files/a/b");

        Assert.Equal((404, "NOT_FOUND"), (unknown.Status, unknown.Json.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal((405, "METHOD_NOT_ALLOWED"), (wrongMethod.Status, wrongMethod.Json.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(["DELETE", "GET"], wrongMethod.Json.GetProperty("error").GetProperty("details").GetProperty("allowed").EnumerateArray().Select(m => m.GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(404, files.Status);
    }

    private async Task<(string Token, JobFunctions Jobs)> RegisterAsync()
    {
        var accounts = Function<AccountFunctions>();
        var email = $"f{Guid.NewGuid():N}@example.test";
        var registered = await CallAsync(r => accounts.Register(r, default), "POST", "/v1/auth/register", content:
            new StringContent(JsonSerializer.Serialize(new { email, password = "correct horse battery", display_name = "Fn" }), Encoding.UTF8, "application/json"));
        Assert.Equal(201, registered.Status);
        return (registered.Json.GetProperty("data").GetProperty("access_token").GetString()!, Function<JobFunctions>());
    }

    private async Task<string> SubmitAsync(JobFunctions jobs, string token)
    {
        var accepted = await CallAsync(r => jobs.Gfpgan(r, default), "POST", "/v1/gfpgan", token,
            JobsApiTests.Form(("image", Photo), ("scale", "2")), ("Prefer", "respond-async"));
        Assert.Equal(202, accepted.Status);
        return accepted.Json.GetProperty("data").GetProperty("job_id").GetString()!;
    }

    /// <summary>
    /// Takes the job's message off Azurite's <c>jobs-gfpgan</c> with a plain client (no encoding option)
    /// and base64-decodes it, as the trigger does with <c>messageEncoding: base64</c>: the string the
    /// function is handed. Returns the delete that completes it.
    /// </summary>
    private static async Task<(string Body, long DequeueCount, Func<Task> Complete)> TakeMessageAsync(string jobId)
    {
        // The adapter's service version (the newest Azurite serves), and no message encoding: raw text.
        var queue = new QueueClient(Emulators.AzuriteQueues, JobSpecs.QueueOf("gfpgan"),
            new QueueClientOptions(StorageJobQueue.ClientOptions().Version));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var m in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(2))).Value)
            {
                var body = Encoding.UTF8.GetString(Convert.FromBase64String(m.Body.ToString()));
                if (JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString() == jobId)
                    return (body, m.DequeueCount, () => queue.DeleteMessageAsync(m.MessageId, m.PopReceipt));
            }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"no message for {jobId} on {queue.Name}");
    }

    private FakeFunctionContext Context(long dequeueCount, CancellationToken ct = default) =>
        new(_host.Services, new Dictionary<string, object?> { ["DequeueCount"] = dequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);

    /// <summary>Calls an HTTP function with a request built as the worker's ASP.NET Core integration would, and runs its result.</summary>
    private async Task<(int Status, JsonElement Json)> CallAsync(Func<HttpRequest, Task<IResult>> function, string method, string pathAndQuery,
        string? token = null, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext { RequestServices = _host.Services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost:7071");
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        if (q >= 0) request.QueryString = new QueryString(pathAndQuery[q..]);
        if (token is not null) request.Headers.Authorization = "Bearer " + token;
        foreach (var (name, value) in headers) request.Headers[name] = value;
        if (content is not null)
        {
            var bytes = await content.ReadAsByteArrayAsync();
            request.ContentType = content.Headers.ContentType!.ToString();
            request.ContentLength = bytes.Length;
            request.Body = new MemoryStream(bytes);
        }
        var response = new MemoryStream();
        context.Response.Body = response;

        await (await function(request)).ExecuteAsync(context);

        var text = Encoding.UTF8.GetString(response.ToArray());
        ContractValidator.Validate(new HttpMethod(method), pathAndQuery, context.Response.StatusCode, context.Response.ContentType?.Split(';')[0], text);
        return (context.Response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The composition's model provider (local libvips), failing transiently first when told to.</summary>
    private sealed class FlakyModel(IModelProvider inner) : IModelProvider
    {
        private int _failuresLeft;
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);
        public string Name => inner.Name;

        public void FailNext(int times) => Volatile.Write(ref _failuresLeft, times);

        public Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Interlocked.Decrement(ref _failuresLeft) >= 0
                ? throw new ModelException("busy", isTransient: true)
                : inner.RunAsync(request, cancellationToken);
        }

        public Task<string?> CheckAsync(CancellationToken cancellationToken = default) => inner.CheckAsync(cancellationToken);
    }

    private static void DecorateModel(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IModelProvider));
        services.Remove(original);
        services.AddSingleton(sp => new FlakyModel((IModelProvider)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
        services.AddSingleton<IModelProvider>(sp => sp.GetRequiredService<FlakyModel>());
    }
}
