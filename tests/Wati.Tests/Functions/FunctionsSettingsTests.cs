using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Wati.Tests.Functions;

/// <summary><c>local.settings.sample.json</c> holds what the worker needs to start on the azure profile.</summary>
public sealed partial class FunctionsSettingsTests
{
    [GeneratedRegex(@"Wati(:[A-Za-z0-9]+)+")]
    private static partial Regex WatiKey();

    private static Dictionary<string, string> SampleValues() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(FunctionsApp.RepoRoot, "local.settings.sample.json"))).RootElement
            .GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    /// <summary>
    /// The worker composed with nothing but the azure profile and the host's own storage refuses to start,
    /// each problem naming its key(s); every problem names a key the sample sets.
    /// </summary>
    [Fact]
    public void Every_key_the_azure_profile_requires_at_start_is_in_the_sample()
    {
        using var host = FunctionsApp.Build(new Dictionary<string, string?>
        {
            ["Wati:Profile"] = "azure",
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        var failure = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        var problems = (failure as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)
                       ?? ((OptionsValidationException)failure).Failures;
        var sample = SampleValues();

        Assert.NotEmpty(problems);
        foreach (var problem in problems)
        {
            var keys = WatiKey().Matches(problem).Select(m => m.Value.Replace(":", "__", StringComparison.Ordinal)).ToList();
            Assert.True(keys.Count > 0, $"a start-up problem names no key: {problem}");
            Assert.True(keys.Any(k => sample.TryGetValue(k, out var v) && v.Length > 0), $"local.settings.sample.json lacks {string.Join(" or ", keys)} ({problem})");
        }
    }

    [Fact]
    public void The_sample_runs_the_isolated_worker_on_azurite_with_the_azure_profile()
    {
        var sample = SampleValues();

        Assert.Equal("dotnet-isolated", sample["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", sample["AzureWebJobsStorage"]);
        Assert.Equal("azure", sample["Wati__Profile"]);
        Assert.DoesNotContain(sample, kv => kv.Key.Contains("Key", StringComparison.Ordinal) && kv.Key.StartsWith("Wati", StringComparison.Ordinal)
                                            && !kv.Value.StartsWith('<'));
    }
}
