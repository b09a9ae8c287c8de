using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Wati.Platform.Metrics;

/// <summary>
/// Pushes each published bucket as OpenTelemetry metrics over OTLP/HTTP (protobuf) to
/// <c>{Wati:Metrics:OtlpEndpoint}/v1/metrics</c>, with the official SDK: counters <c>wati.usage.count</c>,
/// <c>wati.usage.errors</c>, <c>wati.usage.credits</c> and the histogram <c>wati.usage.duration</c> (ms, every
/// call's and job's duration, from the bucket's merged histograms), tagged <c>wati.kind</c> and <c>wati.name</c>, delta temporality, exported when a bucket
/// is pushed (force flush) rather than on the SDK's period. Data points carry the push time, not the bucket's.
/// </summary>
/// <remarks>The SDK subscribes to meters by name: one such sink per process (a second one would see the first's measurements).</remarks>
public sealed class OtlpMetricsSink : IMetricsSink, IDisposable
{
    public const string MeterName = "Wati.Usage";

    private readonly Meter _meter = new(MeterName);
    private readonly MeterProvider _provider;
    private readonly Counter<long> _count, _errors, _credits;
    private readonly Histogram<long> _duration;

    public OtlpMetricsSink(IOptions<MetricsOptions> options)
    {
        var endpoint = new Uri(options.Value.OtlpEndpoint!.TrimEnd('/') + "/v1/metrics");
        _count = _meter.CreateCounter<long>("wati.usage.count", "{event}", "HTTP calls and finished jobs");
        _errors = _meter.CreateCounter<long>("wati.usage.errors", "{event}", "calls answered 400 or more, jobs that failed");
        _credits = _meter.CreateCounter<long>("wati.usage.credits", "{credit}", "net credits charged");
        _duration = _meter.CreateHistogram<long>("wati.usage.duration", "ms", "call or job duration");
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Delta;
                // Exported on each push (ForceFlush); the period only matters if a push's flush failed.
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 3_600_000;
            })
            .Build();
    }

    public string Name => "otlp";

    public async Task PushAsync(IReadOnlyList<MetricAggregate> aggregates, IReadOnlyList<UsageTally> tallies, CancellationToken ct)
    {
        foreach (var a in aggregates)
        {
            var tags = Tags(a.Kind, a.Name);
            _count.Add(a.Count, tags);
            _errors.Add(a.Errors, tags);
            _credits.Add(a.Credits, tags);
        }
        foreach (var t in tallies)
        {
            var tags = Tags(t.Kind, t.Name);
            // The instrument takes one measurement at a time: each duration as often as it occurred.
            foreach (var (ms, calls) in t.DurationsMs)
                for (long i = 0; i < calls; i++) _duration.Record(ms, tags);
        }
        // ForceFlush blocks while the exporter posts; keep it off the caller's thread.
        var flushed = await Task.Run(() => _provider.ForceFlush(10_000), ct);
        if (!flushed) throw new InvalidOperationException("the OTLP export did not complete (collector unreachable or refused)");
    }

    private static TagList Tags(string kind, string name) => new() { { "wati.kind", kind }, { "wati.name", name } };

    public void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }
}
