using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Wati.Envelope;

namespace Wati.Platform.Auth;

/// <summary>
/// Bounds the CPU spent on password hashing (issue 24 finding 4: 256 concurrent logins at 600,000
/// PBKDF2 rounds each slowed every other request from 3 ms to 12-17 s). At most
/// <see cref="AuthOptions.EffectivePasswordHashingConcurrency"/> hashes run at once; up to
/// <see cref="AuthOptions.PasswordHashingQueue"/> more wait, each at most
/// <see cref="AuthOptions.PasswordHashingWaitMilliseconds"/>; anything beyond is refused at once with
/// 429 RATE_LIMIT_EXCEEDED and <c>Retry-After</c>, so a login storm costs the storm, not the other callers.
/// </summary>
public sealed class PasswordGate : IDisposable
{
    /// <summary>Seconds a refused caller is told to wait (<c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 1;

    private readonly ConcurrencyLimiter _limiter;
    private readonly TimeSpan _wait;
    private readonly TimeProvider _time;
    private readonly int _permits;

    /// <summary>A gate sized by <paramref name="options"/>; waits are timed by <paramref name="time"/>.</summary>
    public PasswordGate(IOptions<AuthOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _permits = o.EffectivePasswordHashingConcurrency;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = o.EffectivePasswordHashingConcurrency,
            QueueLimit = o.PasswordHashingQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _wait = TimeSpan.FromMilliseconds(o.PasswordHashingWaitMilliseconds);
        _time = time;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (CPU-bound hashing) once a slot is free, on the calling thread.
    /// </summary>
    /// <exception cref="ApiException">RATE_LIMIT_EXCEEDED: the queue is full, or no slot freed up in time.</exception>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_wait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        RateLimitLease lease;
        try
        {
            lease = await _limiter.AcquireAsync(1, linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Busy();
        }
        using (lease)
        {
            if (!lease.IsAcquired) throw Busy();
            return work();
        }
    }

    /// <summary>Hashes running now.</summary>
    public int Running => _permits - (int)(_limiter.GetStatistics()?.CurrentAvailablePermits ?? _permits);

    /// <summary>Hashes waiting for a slot now.</summary>
    public int Waiting => (int)(_limiter.GetStatistics()?.CurrentQueuedCount ?? 0);

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();

    private static ApiException Busy() =>
        new(ErrorCode.RateLimitExceeded, "too many log-ins and sign-ups at once; retry shortly") { RetryAfterSeconds = RetryAfterSeconds };
}
