using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FakeReplicate;

/// <summary>
/// A fake of Replicate's HTTP API (https://replicate.com/docs/reference/http) on 127.0.0.1, deterministic:
/// predictions advance by being polled, not by time, and end as the next <see cref="Script"/>ed
/// <see cref="FakeScenario"/> says (a plain success when none is queued). Tests read what it received
/// from <see cref="Requests"/>. Start with <see cref="StartAsync"/>; port 0 picks a free one.
/// </summary>
public sealed class FakeReplicateServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeScenario> _script = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();

    private FakeReplicateServer(WebApplication app, string token)
    {
        _app = app;
        Token = token;
    }

    /// <summary>The bearer token the fake accepts; anything else is answered 401.</summary>
    public string Token { get; }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>
    /// Where output files are served from (null: the API's own address). Real outputs live on another
    /// host (replicate.delivery); set e.g. <c>http://localhost:{port}</c> to see that the token stays home.
    /// </summary>
    public string? DeliveryBaseUrl { get; set; }

    internal ConcurrentDictionary<string, FakePrediction> Predictions { get; } = new();
    internal ConcurrentDictionary<string, (byte[] Bytes, string ContentType, string Name)> Files { get; } = new();
    internal ConcurrentDictionary<string, (byte[] Bytes, string ContentType)> Deliveries { get; } = new();
    private int _ids;

    /// <summary>Everything received, in order (the scripting endpoints <c>/_fake/*</c> excluded).</summary>
    public IReadOnlyList<FakeRequest> Requests => _requests.ToArray();

    /// <summary>The ids of predictions that received a cancel request, in order.</summary>
    public IReadOnlyList<string> CancelRequests => _requests.Where(r => r.Path.EndsWith("/cancel", StringComparison.Ordinal))
        .Select(r => r.Path.Split('/')[^2]).ToArray();

    /// <summary>Queues how the next creates are answered, one scenario per create.</summary>
    public void Script(params FakeScenario[] scenarios)
    {
        foreach (var s in scenarios) _script.Enqueue(s);
    }

    private readonly ConcurrentDictionary<string, bool> _unavailable = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Makes a model (<c>owner/name</c>) or a version id unavailable, as one that does not exist or that the
    /// token may not use: lookups answer 404, a create by that version 422 "Invalid version or not permitted",
    /// a create through that model's route 404.
    /// </summary>
    public void MakeUnavailable(string modelOrVersion) => _unavailable[modelOrVersion] = true;

    internal bool IsUnavailable(string modelOrVersion) => _unavailable.ContainsKey(modelOrVersion);

    /// <summary>Lets a <see cref="FakeOutcome.Hang"/>ing prediction succeed at its next poll.</summary>
    public void Release(string predictionId)
    {
        if (!Predictions.TryGetValue(predictionId, out var p)) return;
        lock (p.Gate) p.Released = true;
    }

    /// <summary>The status a prediction has now (null: no such prediction).</summary>
    public string? StatusOf(string predictionId) => Predictions.TryGetValue(predictionId, out var p) ? p.Status : null;

    /// <summary>Files uploaded through <c>POST /v1/files</c>, by id.</summary>
    public IReadOnlyDictionary<string, byte[]> UploadedFiles => Files.ToDictionary(f => f.Key, f => f.Value.Bytes);

    /// <summary>The bytes a prediction's outputs were served with, in order.</summary>
    public IReadOnlyList<byte[]> OutputsOf(string predictionId) =>
        Predictions.TryGetValue(predictionId, out var p) ? p.OutputKeys.Select(k => Deliveries.TryGetValue(k, out var d) ? d.Bytes : []).ToArray() : [];

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    public static async Task<FakeReplicateServer> StartAsync(int port = 0, string token = "r8_fake_token", ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Logging.AddProvider(logs);
        var app = builder.Build();
        var server = new FakeReplicateServer(app, token);
        FakeReplicateApi.Map(app, server);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    /// <summary>Blocks until the host stops (Ctrl+C), for the standalone run.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    internal void Record(FakeRequest request) => _requests.Enqueue(request);

    internal FakeScenario NextScenario() => _script.TryDequeue(out var s) ? s : new FakeScenario();

    internal string NewId(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids):D6}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A prediction's state inside the fake.</summary>
internal sealed class FakePrediction(string id, string? model, string? version, JsonObject input, FakeScenario scenario)
{
    public string Id { get; } = id;
    public string? Model { get; } = model;
    public string? Version { get; } = version;
    public JsonObject Input { get; } = input;
    public FakeScenario Scenario { get; } = scenario;
    public string Status { get; set; } = "starting";
    public int Polls { get; set; }
    public bool Released { get; set; }
    public List<string> OutputKeys { get; } = [];
    public List<string> OutputUrls { get; } = [];
    public readonly Lock Gate = new();
}
