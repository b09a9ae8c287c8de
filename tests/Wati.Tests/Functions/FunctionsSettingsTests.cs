using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform.Http;
using Wati.Platform.Jobs;
using Wati.Tests.Support;

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

    private static Dictionary<string, string?> Embedded(TempDir data) => new() { ["Wati:DataDir"] = data.Path };

    /// <summary>
    /// Issue 17: the worker's Kestrel kept its 30 MB default while <c>server/</c> allows 64 MiB and the form
    /// rules accept about 41 MiB. Both hosts now read <see cref="RequestLimits.MaxBodyBytes"/>, below the
    /// Functions host's own 100 MB.
    /// </summary>
    [Fact]
    public void The_workers_body_limit_is_the_servers_and_below_the_Functions_hosts()
    {
        using var data = new TempDir();
        using var worker = FunctionsApp.Build(Embedded(data));
        using var server = new WatiAppFactory();

        var workerLimit = worker.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize;
        var serverLimit = server.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize;

        Assert.Equal(RequestLimits.MaxBodyBytes, workerLimit);
        Assert.Equal(serverLimit, workerLimit);
        Assert.True(workerLimit < RequestLimits.FunctionsHostMaxBodyBytes);
    }

    [Fact]
    public void A_wait_longer_than_Azure_allows_an_HTTP_response_stops_the_worker_naming_the_key()
    {
        using var data = new TempDir();
        var settings = Embedded(data);
        settings["Wati:Jobs:MaxWaitSeconds"] = "230";
        using var worker = FunctionsApp.Build(settings);

        var e = Assert.ThrowsAny<OptionsValidationException>(() => worker.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Wati:Jobs:MaxWaitSeconds must be at most 220 under Azure Functions", e.Message);
    }

    [Fact]
    public void The_longest_wait_allowed_under_Functions_starts()
    {
        using var data = new TempDir();
        var settings = Embedded(data);
        settings["Wati:Jobs:MaxWaitSeconds"] = JobsOptions.MaxWaitSecondsOnFunctions.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var worker = FunctionsApp.Build(settings);

        worker.Services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(JobsOptions.MaxWaitSecondsOnFunctions, worker.Services.GetRequiredService<IOptions<JobsOptions>>().Value.MaxWaitSeconds);
    }
}
