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
/// Input errors (the model rejected the image) are never retried.
/// </summary>
public sealed class ModelPipeline(IModelProvider provider, IOptions<ModelsOptions> options, TimeProvider time)
{
    // Built on the first model call, not at start: an HTTP-only instance never runs a model, and Polly validates
    // its strategy options by reflection (about 14 ms of a cold start, measured). The options it reads were
    // already validated at start (ModelsOptions' validator).
    private readonly Lazy<ResiliencePipeline> _pipeline = new(() => Build(options.Value, time));

    public IModelProvider Provider => provider;

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken ct) =>
        await _pipeline.Value.ExecuteAsync(async token => await provider.RunAsync(request, token), ct);

    /// <summary>Failures worth another try: a later attempt may well succeed.</summary>
    public static bool IsTransient(Exception e) =>
        e is ModelException { IsTransient: true } or TimeoutRejectedException or BrokenCircuitException or HttpRequestException;

    private static ResiliencePipeline Build(ModelsOptions o, TimeProvider time)
    {
        var transient = new PredicateBuilder().Handle<ModelException>(e => e.IsTransient)
            .Handle<TimeoutRejectedException>().Handle<HttpRequestException>();
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Polly needs at least one attempt configured; zero retries means "never handle".
                ShouldHandle = o.MaxRetries == 0 ? _ => ValueTask.FromResult(false) : transient,
                MaxRetryAttempts = Math.Max(1, o.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(o.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(30),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ModelException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = 10,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
            })
            .AddTimeout(TimeSpan.FromSeconds(o.TimeoutSeconds))
            .Build();
    }
}
