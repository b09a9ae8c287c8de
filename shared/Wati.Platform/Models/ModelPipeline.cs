using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Wati.Platform.Jobs;

namespace Wati.Platform.Models;

/// <summary>
/// The one resilience pipeline every provider runs behind (design section 10): jittered exponential
/// retry on transient failures honouring Retry-After, a circuit breaker, and a per-attempt timeout.
/// Input errors (the model rejected the image) are never retried. The attempts of one run share a
/// <see cref="ModelRun"/>, so an attempt that timed out leaves its work running for the next attempt to
/// pick up; when the run fails for good the provider is told to abandon it (<see cref="IModelProvider.AbandonAsync"/>).
/// Throttling (429) is the provider saying "later", not failing: it never counts toward the circuit
/// breaker, so one caller's throttling does not open the breaker for every job of the process (issue 17).
/// A throttle whose hint is longer than <see cref="MaxDelay"/> is not waited out here but handed to the
/// job processor, which puts the job back in its queue for that long.
/// </summary>
public sealed class ModelPipeline(IModelProvider provider, IOptions<ModelsOptions> options, TimeProvider time)
{
    /// <summary>The longest wait between two attempts of one run (backoff, or a throttle's hint).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    // Built on the first model call, not at start: an HTTP-only instance never runs a model, and Polly validates
    // its strategy options by reflection (about 14 ms of a cold start, measured). The options it reads were
    // already validated at start (ModelsOptions' validator).
    private readonly Lazy<ResiliencePipeline> _pipeline = new(() => Build(options.Value, time));

    public IModelProvider Provider => provider;

    /// <summary>Runs <paramref name="request"/> with retries; on a final failure the provider abandons what the attempts left running.</summary>
    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken ct)
    {
        var run = new ModelRun { Caller = ct };
        var shared = request with { Run = run };
        try
        {
            return await _pipeline.Value.ExecuteAsync(async token => await provider.RunAsync(shared, token), ct);
        }
        catch
        {
            await provider.AbandonAsync(run);
            throw;
        }
    }

    /// <summary>Failures worth another try: a later attempt may well succeed.</summary>
    public static bool IsTransient(Exception e) =>
        e is ModelException { IsTransient: true } or TimeoutRejectedException or BrokenCircuitException or HttpRequestException;

    /// <summary>A throttle, or the breaker refusing a call: neither is the job's fault, neither spends an attempt.</summary>
    public static bool IsThrottle(Exception e) => e is ModelException { IsThrottled: true } or BrokenCircuitException;

    private static ResiliencePipeline Build(ModelsOptions o, TimeProvider time)
    {
        var failure = new PredicateBuilder().Handle<ModelException>(e => e.IsTransient && !e.IsThrottled)
            .Handle<TimeoutRejectedException>().Handle<HttpRequestException>();
        // A throttle is retried here only when its hint fits MaxDelay; a longer one goes back to the queue.
        var retried = new PredicateBuilder().Handle<ModelException>(e => e.IsTransient && !(e.IsThrottled && e.RetryAfter > MaxDelay))
            .Handle<TimeoutRejectedException>().Handle<HttpRequestException>();
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Polly needs at least one attempt configured; zero retries means "never handle".
                ShouldHandle = o.MaxRetries == 0 ? _ => ValueTask.FromResult(false) : retried,
                MaxRetryAttempts = Math.Max(1, o.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(o.RetryBaseDelayMs),
                MaxDelay = MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ModelException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = failure,
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
            })
            .AddTimeout(TimeSpan.FromSeconds(o.TimeoutSeconds))
            .Build();
    }
}
