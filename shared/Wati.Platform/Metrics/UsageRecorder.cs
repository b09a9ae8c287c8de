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
/// Takes usage events (design section 12) from the request and job paths into a bounded in-memory
/// buffer and returns at once; <see cref="UsageWriter"/> writes them to the <c>usage</c> table in batches.
/// Recording never waits, allocates a store call or throws: when the buffer is full the event is
/// dropped and counted (<see cref="Dropped"/>), as it is when the writer cannot store it.
/// </summary>
public sealed class UsageRecorder : IJobEvents
{
    private readonly Channel<UsageItem> _buffer;
    private readonly TimeProvider _time;
    private readonly IIdGenerator _ids;
    private readonly ILogger<UsageRecorder> _logger;
    private long _accepted, _written, _dropped, _droppedAfterAccept, _lastDropLog = long.MinValue;

    public UsageRecorder(IOptions<MetricsOptions> options, TimeProvider time, IIdGenerator ids, ILogger<UsageRecorder> logger)
    {
        _buffer = Channel.CreateBounded<UsageItem>(new BoundedChannelOptions(options.Value.BufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then answers false at once: we drop, never wait.
            SingleReader = true,
        });
        _time = time;
        _ids = ids;
        _logger = logger;
    }

    /// <summary>Events taken into the buffer.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Events stored in the <c>usage</c> table.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Events lost: buffer full, or the store failed when the writer tried (also logged, at most every 10 s).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    internal ChannelReader<UsageItem> Reader => _buffer.Reader;

    /// <summary>
    /// Records one HTTP call: <paramref name="route"/> is the route name or <see cref="UsageKinds.Unmatched"/>;
    /// an answer of 400 or more counts as an error; <paramref name="credits"/> from <c>X-Credits-Charged</c>.
    /// </summary>
    public void RecordCall(string route, string method, int status, TimeSpan duration, long credits, string? userId) =>
        Offer(new UsageItem(new UsageEvent(_ids.NewId("use"), UsageKinds.Route, route, method, status, "", status >= 400,
            (long)Math.Round(duration.TotalMilliseconds), credits, userId, _time.GetUtcNow()), null));

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
    public void Finished(string jobId) => Offer(new UsageItem(null, jobId));

    /// <summary>
    /// Waits until every event accepted so far has been written or dropped (tests; a host before it stops).
    /// Needs the writer running.
    /// </summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var target = Accepted;
        while (Interlocked.Read(ref _written) + Interlocked.Read(ref _droppedAfterAccept) < target)
            await Task.Delay(10, ct);
    }

    internal void CountWritten(int count) => Interlocked.Add(ref _written, count);

    internal void CountDropped(int count, Exception? cause)
    {
        Interlocked.Add(ref _droppedAfterAccept, count);
        Drop(count, cause);
    }

    private void Offer(UsageItem item)
    {
        if (_buffer.Writer.TryWrite(item)) Interlocked.Increment(ref _accepted);
        else Drop(1, null);
    }

    private void Drop(int count, Exception? cause)
    {
        var total = Interlocked.Add(ref _dropped, count);
        // One line per 10 s at most: a down store must not flood the log from every request.
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(10)) return;
        if (Interlocked.CompareExchange(ref _lastDropLog, now, last) != last) return;
        _logger.LogWarning(cause, "Usage events dropped: {Count} now, {Total} since start ({Reason})", count, total,
            cause is null ? "buffer full" : "store failed");
    }
}

/// <summary>A buffered usage item: an event ready to store, or a finished job whose row the writer reads.</summary>
internal sealed record UsageItem(UsageEvent? Event, string? JobId);
