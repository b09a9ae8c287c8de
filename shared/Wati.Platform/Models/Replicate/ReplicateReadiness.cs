using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Wati.Platform.Health;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Configuration faults Replicate reported while running jobs ("Invalid version or not permitted"), per model
/// of ours, each naming the setting to fix. Readiness reports them until a create for that model succeeds.
/// </summary>
public sealed class ReplicateModelFaults
{
    private readonly ConcurrentDictionary<string, string> _faults = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Remembers <paramref name="problem"/> for our model <paramref name="model"/>.</summary>
    public void Record(string model, string problem) => _faults[model] = OutsideText.Bound(problem);

    /// <summary>A create for <paramref name="model"/> succeeded: its fault, if any, is gone.</summary>
    public void Clear(string model) => _faults.TryRemove(model, out _);

    /// <summary>The problems now known, by our model name.</summary>
    public IReadOnlyDictionary<string, string> Current => _faults.ToDictionary(f => f.Key, f => f.Value, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Readiness of the Replicate models (<c>replicate</c> check): looks up each configured model, or its
/// version when one is pinned (<c>GET /v1/models/{owner}/{name}</c>, <c>.../versions/{id}</c>; issue 17: a
/// probe with only what the deployment's token may do), all at once, each within
/// <see cref="ReplicateOptions.ReadinessTimeoutMs"/>; and reports the faults jobs met
/// (<see cref="ReplicateModelFaults"/>). Each problem names the setting to fix.
/// </summary>
public sealed class ReplicateReadiness(ReplicateClient client, IOptions<ReplicateOptions> options, ReplicateModelFaults faults,
    TimeProvider time, Catalog.ModelCatalog catalog) : IReadinessCheck
{
    /// <summary>The check's name in <c>/readyz</c>.</summary>
    public string Name => "replicate";

    /// <summary>Null when every model is found and no job met a configuration fault; else every problem, joined.</summary>
    public async Task<string?> CheckAsync(CancellationToken ct)
    {
        ReplicateOptions configured;
        try
        {
            configured = options.Value;
        }
        catch (OptionsValidationException e)
        {
            return string.Join("; ", e.Failures);
        }
        if (string.IsNullOrWhiteSpace(configured.Token)) return $"{ReplicateOptions.Section}:Token is not set";
        var timeout = TimeSpan.FromMilliseconds(configured.ReadinessTimeoutMs);
        var lookups = catalog.Names
            .Where(name => configured.Models.TryGetValue(name, out var m) && !string.IsNullOrWhiteSpace(m.Model))
            .Select(name => LookUpAsync(name, configured.Models[name], timeout, ct));
        var problems = (await Task.WhenAll(lookups)).OfType<string>().ToList();
        foreach (var (model, fault) in faults.Current.OrderBy(f => f.Key, StringComparer.Ordinal))
            if (!problems.Any(p => p.Contains($":Models:{model}:", StringComparison.OrdinalIgnoreCase))) problems.Add(fault);
        return problems.Count == 0 ? null : string.Join("; ", problems.Distinct());
    }

    private async Task<string?> LookUpAsync(string ours, ReplicateModelOptions model, TimeSpan timeout, CancellationToken ct)
    {
        var pinned = !string.IsNullOrEmpty(model.Version);
        var key = $"{ReplicateOptions.Section}:Models:{ours}:{(pinned ? "Version" : "Model")}";
        var what = pinned ? $"version '{model.Version}' of '{model.Model}'" : $"model '{model.Model}'";
        using var timer = new CancellationTokenSource(timeout, time);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await client.GetModelAsync(model.Model!, model.Version, budget.Token);
            return null;
        }
        catch (ReplicateException e) when (e.Status is 401)
        {
            return "Replicate refused the configured token";
        }
        catch (ReplicateException e) when (e.Status is 403 or 404 or 422)
        {
            return $"{key}: Replicate has no {what} this token may use ({e.Status})";
        }
        catch (ReplicateException e)
        {
            return $"{key}: looking up {what} failed: {e.Message}";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"{key}: Replicate did not answer the lookup of {what} within {timeout.TotalMilliseconds:0} ms";
        }
    }
}
