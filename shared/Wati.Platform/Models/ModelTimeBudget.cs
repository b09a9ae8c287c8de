using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Wati.Platform.Jobs;

namespace Wati.Platform.Models;

/// <summary>
/// The longest one <see cref="ModelPipeline"/> run can take, and whether that fits the Functions host's
/// <c>functionTimeout</c>: a queue function the host kills mid-run leaves its job running until the
/// lease runs out and its prediction billed (issue 17). The Functions worker checks it at start
/// (<see cref="ModelsRegistration.AddModelTimeBudget"/>); Replicate's <c>Cancel-After</c> deadline is this budget.
/// </summary>
public static class ModelTimeBudget
{
    /// <summary>What abandoning a run may add at its end (Replicate's cancel call has this budget).</summary>
    public static readonly TimeSpan AbandonAllowance = TimeSpan.FromSeconds(10);

    /// <summary>The setting that overrides host.json's <c>functionTimeout</c> (app setting <c>AzureFunctionsJobHost__functionTimeout</c>).</summary>
    public const string FunctionTimeoutOverrideKey = "AzureFunctionsJobHost:functionTimeout";

    /// <summary>
    /// Attempts x per-attempt timeout + the waits between them (each at most <see cref="ModelPipeline.MaxDelay"/>):
    /// <c>(MaxRetries + 1) x TimeoutSeconds + MaxRetries x 30 s</c>.
    /// </summary>
    public static TimeSpan Worst(ModelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return TimeSpan.FromSeconds((options.MaxRetries + 1) * (double)options.TimeoutSeconds) + options.MaxRetries * ModelPipeline.MaxDelay;
    }

    /// <summary>
    /// Problems (each naming its settings) when <see cref="Worst"/> plus <see cref="AbandonAllowance"/> does not
    /// fit in <paramref name="functionTimeout"/>; empty when it fits or the host has no limit (null).
    /// </summary>
    public static IReadOnlyList<string> Problems(ModelsOptions options, TimeSpan? functionTimeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (functionTimeout is not { } limit) return [];
        var needed = Worst(options) + AbandonAllowance;
        if (needed <= limit) return [];
        return
        [
            $"{ModelsOptions.Section}:MaxRetries ({options.MaxRetries}) and {ModelsOptions.Section}:TimeoutSeconds ({options.TimeoutSeconds}) " +
            $"let one model run take up to {needed.TotalSeconds:0} s ({options.MaxRetries + 1} attempts x {options.TimeoutSeconds} s, " +
            $"{options.MaxRetries} waits of up to {ModelPipeline.MaxDelay.TotalSeconds:0} s, {AbandonAllowance.TotalSeconds:0} s to cancel), " +
            $"more than the Functions functionTimeout ({limit.TotalSeconds:0} s, host.json or {FunctionTimeoutOverrideKey}): " +
            "lower them or raise functionTimeout",
        ];
    }

    /// <summary>
    /// The Functions host's <c>functionTimeout</c>: <see cref="FunctionTimeoutOverrideKey"/> when set, else
    /// host.json's in <paramref name="directory"/>; null when neither says or it is <c>-1</c> (unbounded).
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is not a time span (named, never guessed).</exception>
    public static TimeSpan? FunctionTimeoutOf(IConfiguration configuration, string directory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[FunctionTimeoutOverrideKey];
        var source = FunctionTimeoutOverrideKey;
        var hostJson = Path.Combine(directory, "host.json");
        if (string.IsNullOrWhiteSpace(text) && File.Exists(hostJson))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(hostJson), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.TryGetProperty("functionTimeout", out var value) && value.ValueKind == JsonValueKind.String) text = value.GetString();
            source = hostJson + " functionTimeout";
        }
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "-1") return null;
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero
            ? timeout
            : throw new InvalidOperationException($"{source} is not a time span (hh:mm:ss): '{text}'");
    }
}
