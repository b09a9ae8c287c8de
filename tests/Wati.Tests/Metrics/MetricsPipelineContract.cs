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

    [Fact]
    public async Task ManyCallsBecomeAFewRowsWhoseAggregatesAreNearestRankOverTheRawDurations()
    {
        var random = new Random(13);
        string[] routes = ["GetCredits", "Gfpgan", "Healthz"];
        var fed = new List<(string Route, int Status, int Ms, long Credits)>();
        for (var i = 0; i < 5000; i++)
        {
            var call = (routes[random.Next(routes.Length)], random.Next(10) == 0 ? 429 : 200, random.Next(0, 3000), (long)random.Next(0, 3));
            fed.Add(call);
            Call(call.Item1, call.Item2, call.Item3, call.Item4);
            if (i == 2499) await _recorder.DrainAsync(CancellationToken.None); // two flushes: rows of one route merge
        }
        await _recorder.DrainAsync(CancellationToken.None);
        var usageRows = await UsageRowsAsync(T0.AddSeconds(-5));
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new PublishReport(1, 0, 0), await Publisher().PublishAsync(CancellationToken.None));

        Assert.Equal(routes.Length * 2, usageRows.Count); // one per route per flush, not one per call
        Assert.Equal((5000L, 5000L), (_recorder.Accepted, _recorder.Written));
        var expected = fed.GroupBy(c => c.Route).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var sorted = g.Select(c => (long)c.Ms).Order().ToList();
            return new MetricAggregate(T0.AddSeconds(-5), 60, "route", g.Key, g.Count(), g.Count(c => c.Status >= 400),
                MetricAggregate.NearestRank(sorted, 50), MetricAggregate.NearestRank(sorted, 95), g.Sum(c => c.Credits));
        });
        Assert.Equal(expected, await AllMetricsAsync());
        var mark = await Store.GetAsync(TableNames.Metrics, "20261129", "20261129T100000Z");
        Assert.Equal(5000, mark?.GetInt64("events")); // the done mark counts calls, not rows
    }

    [Fact]
    public async Task AHistogramTooLargeForOnePropertyOrOneRowIsSplitAndStillAggregatesExactly()
    {
        // 400,000 distinct durations 200 ms apart: about 3 bytes each, 1.2 MB of histogram, more than one row holds.
        var durations = Enumerable.Range(0, 400_000).Select(i => i * 200L).ToList();
        foreach (var ms in durations) _recorder.RecordCall("Gfpgan", "POST", 200, TimeSpan.FromMilliseconds(ms), 1, null);
        Call("GetCredits", 200, 7);
        await _recorder.DrainAsync(CancellationToken.None);
        var rows = (await UsageRowsAsync(T0.AddSeconds(-5))).Where(r => r.GetString("name") == "Gfpgan").ToList();
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new PublishReport(1, 0, 0), await Publisher().PublishAsync(CancellationToken.None));

        Assert.True(rows.Count >= 2, $"{rows.Count} rows");
        Assert.Contains(rows, r => r.GetBinary("h1") is not null); // split across properties of one row, too
        Assert.Equal(400_000L, rows.Sum(r => r.GetInt64("count") ?? 0));
        var gfpgan = Assert.Single(await AllMetricsAsync(), a => a.Name == "Gfpgan");
        Assert.Equal(new MetricAggregate(T0.AddSeconds(-5), 60, "route", "Gfpgan", 400_000, 0,
            MetricAggregate.NearestRank(durations, 50), MetricAggregate.NearestRank(durations, 95), 400_000), gfpgan);
    }

    [Fact]
    public async Task AFlushTheStoreRefusesIsDroppedAndCountedInCallsAndTheNextFlushCarriesOn()
    {
        for (var i = 0; i < 10; i++) Call(i % 2 == 0 ? "Gfpgan" : "GetCredits", 200, 10 + i, 1);
        Store.BeforeBatch = (table, _) => table == TableNames.Usage
            ? throw new TableStoreException(503, "scripted: the usage batch fails")
            : Task.CompletedTask;
        await _recorder.DrainAsync(CancellationToken.None);
        var afterFailure = (_recorder.Dropped, _recorder.Written);
        Store.BeforeBatch = null;
        Call("Gfpgan", 500, 40, 2);
        await _recorder.DrainAsync(CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new PublishReport(1, 0, 0), await Publisher().PublishAsync(CancellationToken.None));

        Assert.Equal((10L, 0L), afterFailure);
        Assert.Equal((10L, 1L, 11L), (_recorder.Dropped, _recorder.Written, _recorder.Accepted));
        Assert.Equal([new MetricAggregate(T0.AddSeconds(-5), 60, "route", "Gfpgan", 1, 1, 40, 40, 2)], await AllMetricsAsync());
    }

    [Fact]
    public async Task CallsRecordedFromManyThreadsWhileTheWriterFlushesAreAllCounted()
    {
        const int threads = 8, perThread = 5000;
        using var recording = new CancellationTokenSource();
        var flushing = Task.Run(async () =>
        {
            while (!recording.IsCancellationRequested) await _recorder.DrainAsync(CancellationToken.None);
        });
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++) Call(i % 3 == 0 ? "Gfpgan" : "GetCredits", i % 10 == 0 ? 500 : 200, i % 50, t + 1);
        })).ToArray();
        await Task.WhenAll(workers);
        await recording.CancelAsync();
        await flushing;
        await _recorder.DrainAsync(CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(2));

        await Publisher().PublishAsync(CancellationToken.None);

        var rows = await AllMetricsAsync();
        Assert.Equal((long)threads * perThread, _recorder.Written);
        Assert.Equal(threads * perThread, rows.Sum(r => r.Count));
        Assert.Equal(threads * (perThread / 10), rows.Sum(r => r.Errors));
        Assert.Equal(perThread * Enumerable.Range(1, threads).Sum(), rows.Sum(r => r.Credits));
        var gfpgan = Assert.Single(rows, r => r.Name == "Gfpgan");
        Assert.Equal(threads * ((perThread + 2) / 3), gfpgan.Count);
    }

    private async Task<List<TableEntity>> UsageRowsAsync(DateTimeOffset bucket)
    {
        var rows = new List<TableEntity>();
        string? token = null;
        do
        {
            var page = await Store.QueryAsync(TableNames.Usage, new TableQuery(UsageBuckets.Key(bucket)) { ContinuationToken = token });
            rows.AddRange(page.Items);
            token = page.ContinuationToken;
        } while (token is not null);
        return rows;
    }

    private sealed class RecordingSink : IMetricsSink
    {
        private int _pushes;
        public int Pushes => _pushes;
        public string Name => "recording";

        public Task PushAsync(IReadOnlyList<MetricAggregate> aggregates, IReadOnlyList<UsageTally> tallies, CancellationToken ct)
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

/// <summary>What needs no store: the job buffer's bound, tallies that need no buffer, the options rule and the percentile rule.</summary>
public sealed class UsageRecorderTests
{
    private static UsageRecorder Unwritten(int capacity) => new(Microsoft.Extensions.Options.Options.Create(new MetricsOptions { BufferCapacity = capacity }),
        new FakeTimeProvider(), new RandomIdGenerator(), NullLogger<UsageRecorder>.Instance); // no writer drains this one

    [Fact]
    public void AFullJobBufferDropsAtOnceInsteadOfWaiting()
    {
        var recorder = Unwritten(2);

        for (var i = 0; i < 5; i++) recorder.Finished($"job_{i}");

        Assert.Equal((2L, 3L), (recorder.Accepted, recorder.Dropped));
    }

    [Fact]
    public void CallsAreTalliedInMemorySoNoneIsDroppedWhileTheWriterIsAway()
    {
        var recorder = Unwritten(2);

        for (var i = 0; i < 5000; i++) recorder.RecordCall("Gfpgan", "POST", 200, TimeSpan.FromMilliseconds(i % 7), 1, null);

        Assert.Equal((5000L, 0L), (recorder.Accepted, recorder.Dropped));
    }

    [Fact]
    public async Task NoCallIsLostOrCountedTwiceWhileTalliesAreTakenFromUnderRecordingThreads()
    {
        var recorder = Unwritten(2);
        const int threads = 4, perThread = 200_000;
        long takenCount = 0, takenCredits = 0;
        void Take()
        {
            // Read at once, as the writer encodes at once: a call added to a tally after it was taken would be missed.
            foreach (var (_, tally) in recorder.TakeTallies())
                (takenCount, takenCredits) = (takenCount + tally.Count, takenCredits + tally.Credits);
        }
        var recording = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++) recorder.RecordCall(i % 2 == 0 ? "a" : "b", "GET", 200, TimeSpan.FromMilliseconds(i % 100), t + 1, null);
        })).ToArray();
        var takes = 0;
        while (!recording.All(w => w.IsCompleted))
        {
            Take();
            takes++;
        }
        await Task.WhenAll(recording);
        Take();

        Assert.True(takes > 10, $"{takes} takes while recording");
        Assert.Equal((long)threads * perThread, recorder.Accepted);
        Assert.Equal(((long)threads * perThread, (long)perThread * Enumerable.Range(1, threads).Sum()), (takenCount, takenCredits));
    }

    [Fact]
    public void RecordingACallOfASeenRouteAndDurationAllocatesNothing()
    {
        var recorder = Unwritten(2);
        for (var i = 0; i < 1000; i++) recorder.RecordCall("GetCredits", "GET", 200, TimeSpan.FromMilliseconds(i % 10), 0, "usr_1");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) recorder.RecordCall("GetCredits", "GET", i % 7 == 0 ? 404 : 200, TimeSpan.FromMilliseconds(i % 10), 0, "usr_1");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(11_000, recorder.Accepted);
    }

    [Theory]
    [InlineData(2, 10, true)]
    [InlineData(5, 10, true)]
    [InlineData(6, 10, false)]
    [InlineData(1, 1, false)]
    public void TallySecondsMustBeAtMostHalfOfSettleSeconds(int tally, int settle, bool valid) =>
        Assert.Equal(valid, !new MetricsOptions { TallySeconds = tally, SettleSeconds = settle }.Problems().Any());

    [Theory]
    [InlineData(new long[] { 10 }, 10, 10)]
    [InlineData(new long[] { 10, 20 }, 10, 20)]
    [InlineData(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 }, 10, 19)]
    public void PercentilesAreNearestRank(long[] sorted, long p50, long p95) =>
        Assert.Equal((p50, p95), (MetricAggregate.NearestRank(sorted, 50), MetricAggregate.NearestRank(sorted, 95)));
}
