using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Http;

namespace Wati.Platform.Metrics;

/// <summary>
/// Told when a job has become final (succeeded, failed, canceled), after its row was written. Must return
/// at once and never throw: the job processor calls it on its own path.
/// </summary>
public interface IJobEvents
{
    void Finished(string jobId);
}

/// <summary>
/// Takes usage (design section 12) from the request and job paths and returns at once. An HTTP call is added
/// to an in-memory tally per (bucket, route) (<see cref="UsageTally"/>: a dictionary look-up and a short lock,
/// no allocation once the route and duration have been seen in the bucket); <see cref="UsageWriter"/> takes the
/// tallies every <see cref="MetricsOptions.TallySeconds"/> and writes one row per route. A finished job goes
/// into a bounded buffer by id, for the writer to read its row. Recording never waits, calls the store or
/// throws: a job that finds the buffer full is dropped and counted (<see cref="Dropped"/>), as are calls and
/// jobs the writer cannot store. Every count here is of calls and jobs, not of rows.
/// </summary>
public sealed class UsageRecorder : IJobEvents
{
    private readonly ConcurrentDictionary<TallyKey, LiveTally> _tallies = new();
    private readonly Channel<string> _jobs;
    private readonly Channel<bool> _flushRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite, // one pending request is enough
        SingleReader = true,
    });
    private readonly int _bucketSeconds;
    private readonly TimeProvider _time;
    private readonly ILogger<UsageRecorder> _logger;
    private long _accepted, _written, _dropped, _droppedAfterAccept, _lastDropLog = long.MinValue;

    public UsageRecorder(IOptions<MetricsOptions> options, TimeProvider time, IIdGenerator ids, ILogger<UsageRecorder> logger)
    {
        _jobs = Channel.CreateBounded<string>(new BoundedChannelOptions(options.Value.BufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then answers false at once: we drop, never wait.
            SingleReader = true,
        });
        _bucketSeconds = options.Value.BucketSeconds;
        _time = time;
        _logger = logger;
        // 100 random bits per process start: tally rows of two processes, or of one process before and after a
        // restart, never share a row key.
        InstanceId = ids.NewId("t");
    }

    /// <summary>Calls and jobs taken (into a tally or the job buffer).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Calls and jobs stored in the <c>usage</c> table.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Calls and jobs lost: job buffer full, or the store failed when the writer tried (also logged, at most every 10 s).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>This process's prefix for tally row keys (<c>t_</c> and 20 random characters).</summary>
    internal string InstanceId { get; }

    internal ChannelReader<string> FinishedJobs => _jobs.Reader;

    internal ChannelReader<bool> FlushRequests => _flushRequests.Reader;

    /// <summary>
    /// Records one HTTP call: <paramref name="route"/> is the route name or <see cref="UsageKinds.Unmatched"/>;
    /// an answer of 400 or more counts as an error; <paramref name="credits"/> from <c>X-Credits-Charged</c>; the
    /// duration is kept in whole milliseconds (rounded). <paramref name="method"/> and <paramref name="userId"/>
    /// are not kept: a tally is per route, and a user's spend is in the credit ledger and the jobs.
    /// </summary>
    public void RecordCall(string route, string method, int status, TimeSpan duration, long credits, string? userId)
    {
        try
        {
            var ms = (long)Math.Round(duration.TotalMilliseconds);
            var key = new TallyKey(UsageBuckets.StartSeconds(_time.GetUtcNow(), _bucketSeconds), route);
            while (true)
            {
                var live = _tallies.GetOrAdd(key, static k => new LiveTally(new UsageTally(UsageKinds.Route, k.Route)));
                lock (live)
                {
                    // Taken by the writer between our look-up and our lock: add to the bucket's next tally instead.
                    if (live.Taken) continue;
                    live.Tally.Add(ms, status >= 400, credits);
                }
                break;
            }
            Interlocked.Increment(ref _accepted);
        }
        catch (Exception e)
        {
            Drop(1, e); // recording must never fail the call it records
        }
    }

    /// <summary>A timestamp to measure a call from (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long Start() => _time.GetTimestamp();

    /// <summary>Time since <paramref name="started"/> (from <see cref="Start"/>).</summary>
    public TimeSpan ElapsedSince(long started) => _time.GetElapsedTime(started);

    /// <summary>
    /// The answer to return instead of <paramref name="result"/>: it records the call once the host has written
    /// it. Credits are read from <c>X-Credits-Charged</c> only on model submits (<see cref="RouteDoc.JobSubmit"/>):
    /// a job poll repeats its job's price, which was charged by the submit.
    /// </summary>
    public IResult Track(RouteDef route, long started, string? userId, IResult result) =>
        new RecordedResult(result, this, route.Name, route.Doc?.JobSubmit == true, started, userId);

    /// <summary>As <see cref="Track(RouteDef, long, string?, IResult)"/> for a path or method no route has (<see cref="UsageKinds.Unmatched"/>).</summary>
    public IResult TrackUnmatched(long started, IResult result) =>
        new RecordedResult(result, this, UsageKinds.Unmatched, false, started, null);

    /// <inheritdoc />
    /// <remarks>The job's rows are read by the writer, off the job's path, for its model, state, times and net charge.</remarks>
    public void Finished(string jobId)
    {
        if (_jobs.Writer.TryWrite(jobId)) Interlocked.Increment(ref _accepted);
        else Drop(1, null);
    }

    /// <summary>
    /// Asks the writer to write the tallies now instead of at its next period, and waits until every call and
    /// job accepted so far has been written or dropped (tests; a host before it stops). Needs the writer running.
    /// </summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var target = Accepted;
        while (Interlocked.Read(ref _written) + Interlocked.Read(ref _droppedAfterAccept) < target)
        {
            _flushRequests.Writer.TryWrite(true);
            await Task.Delay(10, ct);
        }
    }

    /// <summary>
    /// Takes every tally recorded so far, with its bucket's start (Unix seconds); calls recorded from now on go
    /// into new tallies. A tally taken here is never added to again.
    /// </summary>
    internal List<(long BucketStart, UsageTally Tally)> TakeTallies()
    {
        var taken = new List<(long, UsageTally)>();
        foreach (var (key, _) in _tallies)
        {
            if (!_tallies.TryRemove(key, out var live)) continue;
            lock (live) live.Taken = true;
            taken.Add((key.BucketStart, live.Tally));
        }
        return taken;
    }

    internal void CountWritten(long count) => Interlocked.Add(ref _written, count);

    internal void CountDropped(long count, Exception? cause)
    {
        Interlocked.Add(ref _droppedAfterAccept, count);
        Drop(count, cause);
    }

    private void Drop(long count, Exception? cause)
    {
        var total = Interlocked.Add(ref _dropped, count);
        // One line per 10 s at most: a down store must not flood the log from every request.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(10)) return;
        if (Interlocked.CompareExchange(ref _lastDropLog, now, last) != last) return;
        _logger.LogWarning(cause, "Usage dropped: {Count} calls or jobs now, {Total} since start ({Reason})", count, total,
            cause is null ? "job buffer full or job row unreadable" : "write failed");
    }

    private readonly record struct TallyKey(long BucketStart, string Route);

    /// <summary>A tally being added to; <see cref="Taken"/> once the writer has it (both under the tally's lock).</summary>
    private sealed class LiveTally(UsageTally tally)
    {
        public UsageTally Tally { get; } = tally;
        public bool Taken { get; set; }
    }
}
