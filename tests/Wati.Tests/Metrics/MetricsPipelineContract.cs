using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Metrics;

namespace Wati.Tests.Metrics;

/// <summary>
/// The metrics pipeline over a table store (SQLite here, Azurite in the subclass): recorder → writer →
/// usage rows → publisher → metrics rows, with time under the test's control.
/// </summary>
public abstract class MetricsPipelineContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 5, TimeSpan.Zero);

    protected readonly FakeTimeProvider Time = new(T0);
    protected readonly MetricsOptions Options = new() { BucketSeconds = 60, SettleSeconds = 10 };
    protected ScriptedTableStore Store = null!;
    private UsageRecorder _recorder = null!;
    private UsageWriter _writer = null!;

    protected abstract ITableStore CreateStore();

    public async Task InitializeAsync()
    {
        Store = new ScriptedTableStore(CreateStore(), "m" + Guid.NewGuid().ToString("N")[..10]);
        _recorder = NewRecorder(Options);
        _writer = new UsageWriter(_recorder, Store, Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<UsageWriter>.Instance);
        await _writer.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _writer.StopAsync(CancellationToken.None);

    private UsageRecorder NewRecorder(MetricsOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), Time, new RandomIdGenerator(), NullLogger<UsageRecorder>.Instance);

    private MetricsPublisher Publisher(params IMetricsSink[] sinks) =>
        new(Store, sinks, Microsoft.Extensions.Options.Options.Create(Options), Time, NullLogger<MetricsPublisher>.Instance);

    private MetricsReader Reader => new(Store);

    private async Task<List<MetricAggregate>> AllMetricsAsync()
    {
        var all = new List<MetricAggregate>();
        for (var page = 1; ; page++)
        {
            var result = await Reader.ReadAsync(T0.AddDays(-1), T0.AddDays(1), null, new PageRequest(page, 100), CancellationToken.None);
            all.AddRange(result.Items);
            if (all.Count >= result.Total) return all;
        }
    }

    private void Call(string route, int status, int ms, long credits = 0) =>
        _recorder.RecordCall(route, "GET", status, TimeSpan.FromMilliseconds(ms), credits, "usr_1");

    [Fact]
    public async Task AClosedBucketIsPublishedOnceWithExactAggregatesAndAnOpenOneWaits()
    {
        Call("Gfpgan", 200, 10, 1);
        Call("Gfpgan", 200, 30, 1);
        Call("Gfpgan", 200, 20, 1);
        Call("Gfpgan", 402, 5);
        Call("GetCredits", 500, 100);
        Time.Advance(TimeSpan.FromMinutes(2)); // 10:02:05: the 10:00 bucket is closed, 10:02 is open
        Call("GetCredits", 200, 7);
        await _recorder.DrainAsync(CancellationToken.None);
        var sink = new RecordingSink();

        var first = await Publisher(sink).PublishAsync(CancellationToken.None);
        var again = await Publisher(sink).PublishAsync(CancellationToken.None);

        Assert.Equal(new PublishReport(1, 0, 1), first);
        Assert.Equal(new PublishReport(0, 0, 1), again);
        var bucket = T0.AddSeconds(-5);
        Assert.Equal(
        [
            new MetricAggregate(bucket, 60, "route", "GetCredits", 1, 1, 100, 100, 0),
            new MetricAggregate(bucket, 60, "route", "Gfpgan", 4, 1, 10, 30, 3),
        ], await AllMetricsAsync());
        Assert.Equal(1, sink.Pushes);

        Time.Advance(TimeSpan.FromSeconds(70)); // now the 10:02 bucket is closed too
        Assert.Equal(new PublishReport(1, 0, 0), await Publisher(sink).PublishAsync(CancellationToken.None));
        Assert.Equal(3, (await AllMetricsAsync()).Count);
    }

    [Fact]
    public async Task TwoPublishersAtOnceMarkABucketDoneOnceWithTheSameRows()
    {
        for (var i = 1; i <= 20; i++) Call("Gfpgan", i % 5 == 0 ? 500 : 200, i * 10, 1);
        Time.Advance(TimeSpan.FromMinutes(2));
        await _recorder.DrainAsync(CancellationToken.None);
        var sink = new RecordingSink();

        // A pauses after aggregating, before its batch with the done mark; B runs all the way meanwhile.
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        Store.BeforeBatch = async (table, _) =>
        {
            if (table != TableNames.Metrics || Interlocked.Increment(ref calls) != 1) return;
            paused.SetResult();
            await release.Task;
        };
        var a = Publisher(sink).PublishAsync(CancellationToken.None);
        await paused.Task;
        var b = await Publisher(sink).PublishAsync(CancellationToken.None);
        var rowsAfterB = await AllMetricsAsync();
        release.SetResult();
        var aReport = await a;

        Assert.Equal(new PublishReport(1, 0, 0), b);
        Assert.Equal(new PublishReport(0, 1, 0), aReport);
        Assert.Equal(rowsAfterB, await AllMetricsAsync());
        var row = Assert.Single(rowsAfterB);
        Assert.Equal((20, 4, 100L, 190L, 20L), (row.Count, row.Errors, row.P50Ms, row.P95Ms, row.Credits));
        Assert.Equal(1, sink.Pushes);
    }

    [Fact]
    public async Task ACrashBeforeTheDoneMarkIsFinishedByTheNextRunWithIdenticalRows()
    {
        // 150 names: more than one batch, so the done mark goes with the second one.
        for (var i = 0; i < 150; i++) Call($"r{i:D3}", 200, i, 1);
        Time.Advance(TimeSpan.FromMinutes(2));
        await _recorder.DrainAsync(CancellationToken.None);
        var sink = new RecordingSink();
        var batches = 0;
        Store.BeforeBatch = (table, ops) =>
        {
            if (table == TableNames.Metrics && Interlocked.Increment(ref batches) == 2)
                throw new TableStoreException(500, "scripted crash before the done mark");
            return Task.CompletedTask;
        };

        await Assert.ThrowsAsync<TableStoreException>(() => Publisher(sink).PublishAsync(CancellationToken.None));
        var partial = await AllMetricsAsync();
        var rerun = await Publisher(sink).PublishAsync(CancellationToken.None);

        Assert.Equal(99, partial.Count); // the first batch (all but the last 51), no done mark
        Assert.Equal(new PublishReport(1, 0, 0), rerun);
        var rows = await AllMetricsAsync();
        Assert.Equal(150, rows.Count);
        Assert.All(rows, r => Assert.Equal((1, 0, 1L), (r.Count, r.Errors, r.Credits)));
        Assert.Equal(Enumerable.Range(0, 150).Select(i => (long)i), rows.Select(r => r.P50Ms));
        Assert.All(partial, p => Assert.Contains(p, rows));
        Assert.Equal(1, sink.Pushes);
    }

    [Fact]
    public async Task WhenTheStoreIsDownRecordingDropsAndCountsWithoutThrowing()
    {
        Store.FailTable = TableNames.Usage;

        Call("Gfpgan", 200, 10);
        Call("Gfpgan", 200, 10);
        await _recorder.DrainAsync(CancellationToken.None);

        Assert.Equal((2L, 0L), (_recorder.Dropped, _recorder.Written));
        Store.FailTable = null;
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(new PublishReport(0, 0, 0), await Publisher().PublishAsync(CancellationToken.None));
    }

    private sealed class RecordingSink : IMetricsSink
    {
        private int _pushes;
        public int Pushes => _pushes;
        public string Name => "recording";

        public Task PushAsync(IReadOnlyList<MetricAggregate> aggregates, IReadOnlyList<UsageEvent> events, CancellationToken ct)
        {
            Interlocked.Increment(ref _pushes);
            return Task.CompletedTask;
        }
    }
}

public sealed class SqliteMetricsPipelineTests : MetricsPipelineContract, IDisposable
{
    private readonly Support.TempDir _dir = new();
    private Wati.Platform.Data.Sqlite.SqliteTableStore? _store;

    protected override ITableStore CreateStore() => _store = new Wati.Platform.Data.Sqlite.SqliteTableStore(_dir.File("tables.db"));

    public void Dispose()
    {
        _store?.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The same facts on Azurite, through the Azure table adapter (entity-group transactions, ETags, 409s).</summary>
public sealed class AzureMetricsPipelineTests : MetricsPipelineContract
{
    protected override ITableStore CreateStore() => new Wati.Platform.Data.Azure.AzureTableStore(Support.Emulators.TableService());
}

/// <summary>What needs no store: the buffer's bound and the percentile rule.</summary>
public sealed class UsageRecorderTests
{
    [Fact]
    public void AFullBufferDropsAtOnceInsteadOfWaiting()
    {
        var recorder = new UsageRecorder(Microsoft.Extensions.Options.Options.Create(new MetricsOptions { BufferCapacity = 2 }), new FakeTimeProvider(),
            new RandomIdGenerator(), NullLogger<UsageRecorder>.Instance); // no writer drains this one

        for (var i = 0; i < 5; i++) recorder.RecordCall("Gfpgan", "POST", 200, TimeSpan.FromMilliseconds(1), 1, null);

        Assert.Equal((2L, 3L), (recorder.Accepted, recorder.Dropped));
    }

    [Theory]
    [InlineData(new long[] { 10 }, 10, 10)]
    [InlineData(new long[] { 10, 20 }, 10, 20)]
    [InlineData(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }, 10, 19)]
    public void PercentilesAreNearestRank(long[] sorted, long p50, long p95) =>
        Assert.Equal((p50, p95), (MetricAggregate.NearestRank(sorted, 50), MetricAggregate.NearestRank(sorted, 95)));
}
