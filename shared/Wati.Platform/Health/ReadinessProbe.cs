using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Health;

/// <summary>
/// Asks every <see cref="IReadinessCheck"/> at once, each under its own deadline
/// (<see cref="HealthOptions.CheckTimeoutMilliseconds"/>), so an adapter that hangs behind its SDK's retry
/// policy delays <c>/readyz</c> by one deadline, not by the sum of every retry, and every failing adapter
/// is named with its reason (issue 17, "Readiness too slow to tell").
/// </summary>
public sealed class ReadinessProbe(IEnumerable<IReadinessCheck> checks, IOptions<HealthOptions> options, TimeProvider time)
{
    /// <summary>Each check's name with <c>ok</c> or what is wrong, in registration order.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled (the caller left).</exception>
    public async Task<IReadOnlyDictionary<string, string>> RunAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(options.Value.CheckTimeoutMilliseconds);
        var results = await Task.WhenAll(checks.Select(c => RunOneAsync(c, timeout, cancellationToken))).ConfigureAwait(false);
        var answer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, result) in results) answer[name] = result;
        return answer;
    }

    private async Task<(string Name, string Result)> RunOneAsync(IReadinessCheck check, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The deadline cancels the check's calls (the SDKs stop retrying on cancellation), and WaitAsync
        // stops waiting even for a check that ignores its token.
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            // Called in turn, each up to its first await: a check must not block before it (they are all async I/O).
            var problem = await check.CheckAsync(linked.Token).WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            return (check.Name, problem ?? "ok");
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return (check.Name, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (check.Name, e.Message.Split('\n', 2)[0]);
        }
    }
}

/// <summary>Registers the readiness probe and its options; each adapter registers its own <see cref="IReadinessCheck"/>.</summary>
public static class HealthRegistration
{
    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddWatiOptions<HealthOptions, HealthOptionsValidator>(HealthOptions.Section);
        services.AddSingleton<ReadinessProbe>();
        return services;
    }
}
