using Microsoft.Extensions.Options;
using Wati.Envelope;

namespace Wati.Platform.Uploads;

/// <summary>
/// Bounds the request-path decodes of this process (issue 24, findings 1 and 5): at most
/// <see cref="Width"/> run at once (<see cref="UploadOptions.MaxConcurrentDecodes"/>, one per core by
/// default); a decode waits up to <see cref="UploadOptions.DecodeQueueMilliseconds"/> for a slot, then
/// the answer is 429 <c>RATE_LIMIT_EXCEEDED</c> with <c>Retry-After</c> (the server is busy, not the
/// caller wrong: a retry soon succeeds). Each decode may take <see cref="UploadOptions.MaxDecodeMilliseconds"/>;
/// past it the caller gets 400 naming the field at once and the work's token is canceled, which sets
/// libvips' kill flag (<see cref="InputImages.Stoppable"/>). The slot is given back only when the work
/// has really ended, so abandoned work still counts against the width and CPU and memory stay bounded:
/// at most <see cref="Width"/> images of at most <see cref="UploadOptions.MaxPixels"/> pixels each.
/// </summary>
public sealed class DecodeGate : IDisposable
{
    private readonly UploadOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;

    /// <summary>Sized from <paramref name="options"/>; time caps run on <paramref name="time"/>.</summary>
    public DecodeGate(IOptions<UploadOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        Width = _options.MaxConcurrentDecodes > 0 ? _options.MaxConcurrentDecodes : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(Width, Width);
    }

    /// <summary>Decodes that may run at once.</summary>
    public int Width { get; }

    /// <summary>Decodes running now (abandoned ones included until they end).</summary>
    public int Running => Width - _slots.CurrentCount;

    /// <summary>
    /// Runs <paramref name="decode"/> on the thread pool within the gate's bounds. The work gets a token
    /// canceled at the time cap or when <paramref name="ct"/> is; it should hand it to libvips
    /// (<see cref="InputImages.Decode"/>).
    /// </summary>
    /// <exception cref="ApiException">429 RATE_LIMIT_EXCEEDED (no slot in time) or 400 VALIDATION_ERROR naming <paramref name="field"/> (over the time cap).</exception>
    public async Task<T> RunAsync<T>(string field, Func<CancellationToken, T> decode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decode);
        await EnterAsync(ct);
        var cap = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.MaxDecodeMilliseconds), _time);
        var work = CancellationTokenSource.CreateLinkedTokenSource(ct, cap.Token);
        var token = work.Token; // read now: the sources are disposed as soon as the work ends
        Task<T> running;
        try
        {
            running = Task.Run(() => decode(token), CancellationToken.None);
        }
        catch
        {
            Release(cap, work);
            throw;
        }
        // The slot (and the tokens) are given back when the work has ended, whether or not anyone still waits for it.
        _ = running.ContinueWith(t =>
        {
            _ = t.Exception; // observed: an abandoned decode's failure is nobody's answer
            Release(cap, work);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        try
        {
            return await running.WaitAsync(token);
        }
        catch (Exception) when (cap.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            var limit = _options.MaxDecodeMilliseconds;
            throw ApiException.Validation($"{field}: the image took longer than {limit} ms to decode",
                new { field, reason = "decode_time_limit", max_decode_milliseconds = limit });
        }
    }

    private async Task EnterAsync(CancellationToken ct)
    {
        if (_slots.Wait(0, ct)) return;
        var queue = _options.DecodeQueueMilliseconds;
        if (queue > 0)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(queue), _time);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, wait.Token);
            try
            {
                await _slots.WaitAsync(both.Token);
                return;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Waited long enough: busy.
            }
        }
        throw new ApiException(ErrorCode.RateLimitExceeded,
            $"the server is decoding {Width} images at once; try again in a moment",
            new { reason = "decode_capacity", max_concurrent_decodes = Width }) { RetryAfterSeconds = 1 };
    }

    private void Release(CancellationTokenSource cap, CancellationTokenSource work)
    {
        work.Dispose();
        cap.Dispose();
        _slots.Release();
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
