using System.Collections.Concurrent;
using FakeReplicate;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wati.Platform.Jobs;
using Wati.Platform.Models;
using Wati.Platform.Models.Replicate;

namespace Wati.Tests.Models;

/// <summary>
/// The replicate provider wired as the platform wires it (<see cref="ReplicateServices.AddReplicateModelProvider"/>),
/// pointed at a <see cref="FakeReplicateServer"/> on loopback, with every log line captured at Trace.
/// Polls are a few ms apart so scripted slow predictions finish quickly.
/// </summary>
internal sealed class ReplicateTestHost : IAsyncDisposable
{
    public const string Token = "r8_test_SECRET_0123456789abcdef";

    private readonly ServiceProvider _services;

    private ReplicateTestHost(FakeReplicateServer fake, ServiceProvider services, CapturedLogs logs)
    {
        Fake = fake;
        _services = services;
        Logs = logs;
    }

    public FakeReplicateServer Fake { get; }
    public CapturedLogs Logs { get; }
    public ReplicateModelProvider Provider => _services.GetRequiredService<ReplicateModelProvider>();
    public ReplicateClient Client => _services.GetRequiredService<ReplicateClient>();
    public ModelPipeline Pipeline => _services.GetRequiredService<ModelPipeline>();
    public ReplicateReadiness Readiness => _services.GetRequiredService<ReplicateReadiness>();

    /// <summary><paramref name="settings"/> override the defaults below (keys under Wati:Models:...; null removes one).</summary>
    /// <param name="baseUrlSuffix">Appended to the fake's address in <c>BaseUrl</c> (e.g. <c>/v1/</c>).</param>
    public static async Task<ReplicateTestHost> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? time = null,
        string fakeToken = Token, string baseUrlSuffix = "")
    {
        var fake = await FakeReplicateServer.StartAsync(token: fakeToken);
        var config = new Dictionary<string, string?>
        {
            ["Wati:Models:Provider"] = "replicate",
            ["Wati:Models:RetryBaseDelayMs"] = "1",
            ["Wati:Models:Replicate:Token"] = Token,
            ["Wati:Models:Replicate:BaseUrl"] = fake.BaseUrl + baseUrlSuffix,
            ["Wati:Models:Replicate:WaitSeconds"] = "5",
            ["Wati:Models:Replicate:PollInitialDelayMs"] = "2",
            ["Wati:Models:Replicate:PollMaxDelayMs"] = "10",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config.Where(c => c.Value is not null)).Build();

        var logs = new CapturedLogs();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddOptions<ModelsOptions>().BindConfiguration(ModelsOptions.Section);
        services.AddReplicateModelProvider();
        services.AddSingleton<ModelPipeline>();
        services.AddSingleton<ReplicateReadiness>();
        return new ReplicateTestHost(fake, services.BuildServiceProvider(), logs);
    }

    /// <summary>The JSON bodies of the creates the fake received, in order.</summary>
    public IReadOnlyList<FakeRequest> Creates => Fake.Requests
        .Where(r => r.Method == "POST" && r.Path.EndsWith("/predictions", StringComparison.Ordinal)).ToArray();

    public IReadOnlyList<FakeRequest> Polls(string predictionId) => Fake.Requests
        .Where(r => r.Method == "GET" && r.Path == $"/v1/predictions/{predictionId}").ToArray();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Fake.DisposeAsync();
    }
}

/// <summary>Every log line, formatted, with its exception's full text.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

internal static class ReplicateRequests
{
    public static ModelRequest Gfpgan(byte[] image, int scale = 2, string version = "1.4") =>
        new(ModelNames.Gfpgan, new Dictionary<string, byte[]> { ["image"] = image }, new GfpganParameters(scale, version));

    public static ModelRequest IcLight(byte[] image, int images, string format = "png") =>
        new(ModelNames.IcLight, new Dictionary<string, byte[]> { ["subject_image"] = image },
            new IcLightParameters("soft window light", "Left Light", 20, 2.5, 512, 640, images, format));
}
