using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wati.Platform.Metrics;

namespace Wati.Tests.Metrics;

/// <summary>
/// The OTLP sink against a fake OTLP/HTTP receiver on loopback: what the official exporter sends is an
/// OTLP protobuf POST to <c>/v1/metrics</c> carrying our instruments and tags. The body is checked for the
/// metric and tag strings (protobuf keeps strings as raw UTF-8), not decoded field by field.
/// </summary>
public sealed class OtlpSinkTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> _received = new();
    private WebApplication _receiver = null!;
    private string _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        _receiver.MapPost("/v1/metrics", async (HttpContext ctx) =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            _received.Enqueue((ctx.Request.Path, ctx.Request.ContentType, body.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        await _receiver.StartAsync();
        _address = _receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task APushedBucketReachesTheCollectorAsOtlpProtobufWithOurInstrumentsAndTags()
    {
        using var sink = new OtlpMetricsSink(Microsoft.Extensions.Options.Options.Create(new MetricsOptions { OtlpEndpoint = _address + "/" }));
        var at = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
        UsageEvent[] events =
        [
            new("use_1", UsageKinds.Route, "Gfpgan", "POST", 200, "", false, 40, 1, "usr_1", at),
            new("job_1", UsageKinds.Model, "replace-style", null, 0, "succeeded", false, 900, 2, "usr_1", at),
        ];

        var tallies = UsageTally.MergeByName(events.Select(UsageTally.Of));

        await sink.PushAsync(MetricAggregate.Of(at, 60, tallies), tallies, CancellationToken.None);

        var (path, contentType, body) = Assert.Single(_received);
        Assert.Equal("/v1/metrics", path);
        Assert.Equal("application/x-protobuf", contentType);
        var text = Encoding.UTF8.GetString(body);
        foreach (var expected in new[] { "wati.usage.count", "wati.usage.errors", "wati.usage.credits", "wati.usage.duration",
                     "wati.kind", "wati.name", "Gfpgan", "replace-style", OtlpMetricsSink.MeterName })
            Assert.Contains(expected, text, StringComparison.Ordinal);
    }
}
