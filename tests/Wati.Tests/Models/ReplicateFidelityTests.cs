using FakeReplicate;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly.Timeout;
using Wati.Platform.Jobs;
using Wati.Platform.Models;
using Wati.Platform.Models.Replicate;
using Wati.Tests.Functions;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>
/// Issue 17, the Replicate adapter against what Replicate really does: timed-out attempts keep the same
/// prediction (and a Cancel-After deadline), the time budget against functionTimeout, 422s told apart,
/// base URL spellings, the 429 hint in the body and the circuit breaker, model readiness, bounded error text.
/// </summary>
public sealed class ReplicateFidelityTests
{
    private static readonly byte[] Photo = TinyImages.Png(6, 4, seed: 11);

    // --- 1. a timed-out attempt keeps polling the same prediction ---------------------------------------------

    [Fact]
    public async Task AnAttemptCutShortLeavesThePredictionRunningAndTheNextAttemptPollsIt()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Hang));
        var run = new ModelRun { Caller = CancellationToken.None };
        var request = ReplicateRequests.Gfpgan(Photo) with { Run = run };

        // The first attempt is cut short (as the pipeline's per-attempt timeout does) while it polls.
        using (var attempt = new CancellationTokenSource())
        {
            var first = host.Provider.RunAsync(request, attempt.Token);
            await Eventually(() => host.Fake.Requests.Count(r => r.Method == "GET") >= 1);
            await attempt.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }
        var id = Assert.Single(host.Creates.Select(_ => host.Fake.Requests.First(r => r.Path.StartsWith("/v1/predictions/", StringComparison.Ordinal))
            .Path.Split('/')[3]));
        Assert.Empty(host.Fake.CancelRequests);
        Assert.Equal("processing", host.Fake.StatusOf(id));

        // The next attempt creates nothing: it polls the same prediction to its end.
        host.Fake.Release(id);
        var result = await host.Provider.RunAsync(request);

        Assert.Single(host.Creates);
        Assert.Equal(id, result.PredictionId);
        Assert.Empty(host.Fake.CancelRequests);
        Assert.Null(run.ProviderState);
    }

    [Fact]
    public async Task ThePipelineRetriesATimeoutOnTheSamePredictionAndCancelsItOnlyWhenItGivesUp()
    {
        await using var host = await ReplicateTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Wati:Models:TimeoutSeconds"] = "2",
            ["Wati:Models:MaxRetries"] = "2",
            ["Wati:Models:RetryBaseDelayMs"] = "0",
        });
        // A first run warms the client up, so the hanging run's create is answered well inside its attempt.
        await host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None);
        var warmUp = host.Fake.Requests.Count;
        host.Fake.Script(new FakeScenario(FakeOutcome.Hang));

        await Assert.ThrowsAsync<TimeoutRejectedException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        var requests = host.Fake.Requests.Skip(warmUp).ToList();
        var create = Assert.Single(requests, r => r.Method == "POST" && r.Path == "/v1/predictions");
        var id = Assert.Single(host.Fake.CancelRequests);
        Assert.Equal([id], requests.Where(r => r.Method == "GET").Select(r => r.Path.Split('/')[3]).Distinct());
        // Three attempts polled it: the third one's poll comes after the second timeout.
        Assert.True(host.Polls(id).Count >= 3, $"{host.Polls(id).Count} polls");
        Assert.Equal("canceled", host.Fake.StatusOf(id));
        // The deadline Replicate enforces on its own is the whole run's budget: 3 x 2 s + 2 x 30 s.
        Assert.Equal("66s", create.CancelAfter);
    }

    [Fact]
    public async Task ACallerGivingUpThroughThePipelineCancelsThePredictionOnce()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Hang));
        using var job = new CancellationTokenSource();

        var run = host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), job.Token);
        await Eventually(() => host.Fake.Requests.Count(r => r.Method == "GET") >= 1);
        await job.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        var id = Assert.Single(host.Fake.CancelRequests);
        Assert.Single(host.Creates);
        Assert.Equal("canceled", host.Fake.StatusOf(id));
    }

    [Fact]
    public async Task ACreateCarriesACancelAfterDeadlineOfTheRunsBudget()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));

        var models = new ModelsOptions();
        Assert.Equal($"{(models.MaxRetries + 1) * models.TimeoutSeconds + models.MaxRetries * 30}s", Assert.Single(host.Creates).CancelAfter);
    }

    // --- 1. the time budget against functionTimeout ----------------------------------------------------------

    [Fact]
    public void TheDefaultBudgetFitsTheRepositorysFunctionTimeoutAndATooLargeOneIsNamed()
    {
        var configured = ModelTimeBudget.FunctionTimeoutOf(new ConfigurationBuilder().Build(), FunctionsApp.RepoRoot);
        Assert.Equal(TimeSpan.FromMinutes(10), configured);
        Assert.Empty(ModelTimeBudget.Problems(new ModelsOptions(), configured));

        var tooLong = new ModelsOptions { TimeoutSeconds = 150, MaxRetries = 3 };
        var problem = Assert.Single(ModelTimeBudget.Problems(tooLong, configured));
        Assert.Contains("Wati:Models:MaxRetries", problem);
        Assert.Contains("Wati:Models:TimeoutSeconds", problem);
        Assert.Contains("700 s", problem); // 4 x 150 + 3 x 30 + 10
        Assert.Empty(ModelTimeBudget.Problems(tooLong, null)); // no limit (functionTimeout -1)

        var overridden = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ModelTimeBudget.FunctionTimeoutOverrideKey] = "00:05:00",
        }).Build();
        Assert.Equal(TimeSpan.FromMinutes(5), ModelTimeBudget.FunctionTimeoutOf(overridden, FunctionsApp.RepoRoot));
    }

    [Fact]
    public void TheFunctionsWorkerRefusesToStartWhenOneModelRunCannotFitItsFunctionTimeout()
    {
        using var ok = FunctionsApp.Build(new Dictionary<string, string?>());
        ok.Services.GetRequiredService<IStartupValidator>().Validate();

        using var host = FunctionsApp.Build(new Dictionary<string, string?> { ["Wati:Models:TimeoutSeconds"] = "300" });

        var failure = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        var problems = (failure as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)
                       ?? ((OptionsValidationException)failure).Failures;
        Assert.Contains(problems, p => p.Contains("Wati:Models:TimeoutSeconds (300)", StringComparison.Ordinal) && p.Contains("functionTimeout (600 s", StringComparison.Ordinal));
    }

    // --- 3. base URL spellings ---------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/v1")]
    [InlineData("/v1/")]
    public async Task TheBaseUrlWorksWithOrWithoutV1AndATrailingSlash(string suffix)
    {
        await using var host = await ReplicateTestHost.StartAsync(baseUrlSuffix: suffix);

        var result = await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));
        Assert.Null(await host.Provider.CheckAsync());
        Assert.Null(await host.Readiness.CheckAsync(CancellationToken.None));

        Assert.Equal("/v1/predictions", Assert.Single(host.Creates).Path);
        Assert.Single(result.Outputs);
        Assert.Contains(host.Fake.Requests, r => r.Path == "/v1/account");
        Assert.DoesNotContain(host.Fake.Requests, r => r.Path.Contains("/v1/v1/", StringComparison.Ordinal) || r.Path.Contains("//", StringComparison.Ordinal));
    }

    // --- 2. 422s told apart --------------------------------------------------------------------------------------

    [Fact]
    public async Task AnInvalidVersionIsAConfigurationErrorNamingTheSettingLoggedAndReportedByReadiness()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var version = ReplicateDefaults.Models[ModelNames.Gfpgan].Version!;
        const string Key = "Wati:Models:Replicate:Models:gfpgan:Version";
        Assert.Null(await host.Readiness.CheckAsync(CancellationToken.None));
        host.Fake.MakeUnavailable(version);

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.Equal(Key, e.ConfigurationKey);
        Assert.False(e.IsInputError);
        Assert.False(e.IsTransient);
        Assert.Single(host.Creates);
        Assert.Contains(host.Logs.Lines, l => l.StartsWith("Error ", StringComparison.Ordinal) && l.Contains(Key, StringComparison.Ordinal));
        var ready = await host.Readiness.CheckAsync(CancellationToken.None);
        Assert.NotNull(ready);
        Assert.Contains(Key, ready);
        Assert.DoesNotContain(ReplicateTestHost.Token, ready);
    }

    [Fact]
    public async Task AnInputValidation422StaysAnInputError()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Reject));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));

        Assert.True(e.IsInputError);
        Assert.Null(e.ConfigurationKey);
        Assert.Null(await host.Readiness.CheckAsync(CancellationToken.None));
    }

    // --- 5. readiness looks each model up ------------------------------------------------------------------------

    [Fact]
    public async Task ReadinessLooksUpEachModelOrVersionAndNamesTheSettingOfOneThatIsMissing()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        Assert.Null(await host.Readiness.CheckAsync(CancellationToken.None));
        var lookups = host.Fake.Requests.Where(r => r.Path.StartsWith("/v1/models/", StringComparison.Ordinal)).ToList();
        Assert.All(lookups, r => Assert.Equal(("GET", $"Bearer {ReplicateTestHost.Token}"), (r.Method, r.Authorization)));
        Assert.Equal(
            new[]
            {
                $"/v1/models/tencentarc/gfpgan/versions/{ReplicateDefaults.Models[ModelNames.Gfpgan].Version}",
                "/v1/models/black-forest-labs/flux-kontext-pro",
                "/v1/models/flux-kontext-apps/multi-image-kontext-pro",
                $"/v1/models/zsxkib/ic-light/versions/{ReplicateDefaults.Models[ModelNames.IcLight].Version}",
                "/v1/models/kwaivgi/kling-v2.1",
            }.Order(),
            lookups.Select(r => r.Path).Order());

        host.Fake.MakeUnavailable("black-forest-labs/flux-kontext-pro");
        var problem = await host.Readiness.CheckAsync(CancellationToken.None);
        Assert.NotNull(problem);
        Assert.Contains("Wati:Models:Replicate:Models:replace-style:Model", problem);
        Assert.DoesNotContain("gfpgan", problem);
    }

    // --- 4. the 429 hint in the body, and the circuit breaker --------------------------------------------------

    [Theory]
    [InlineData("Request was throttled. Your rate limit resets in ~30s.", 30)]
    [InlineData("Request was throttled. Expected available in 12 seconds.", 12)]
    [InlineData("Request was throttled. Expected available in 2 minutes.", 120)]
    [InlineData("Request was throttled.", null)]
    public void TheThrottleHintIsReadFromReplicatesText(string detail, int? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, ReplicateClient.HintOf(detail));

    [Fact]
    public async Task A429WithItsHintOnlyInTheBodyIsAThrottleThatWaitsAsTheBodySays()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Throttle, RetryAfterSeconds: 30, RetryAfterHeader: false));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));

        Assert.True(e.IsThrottled);
        Assert.True(e.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(30), e.RetryAfter);
    }

    [Fact]
    public async Task AThrottleLongerThanThePipelinesLongestWaitGoesBackToTheJobAtOnceWithItsHint()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Throttle, RetryAfterSeconds: 90, RetryAfterHeader: false));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.Single(host.Creates);
        Assert.True(e.IsThrottled);
        Assert.Equal(TimeSpan.FromSeconds(90), e.RetryAfter);
    }

    [Fact]
    public async Task ThrottlingNeverOpensTheCircuitBreakerForOtherCallers()
    {
        await using var host = await ReplicateTestHost.StartAsync(new Dictionary<string, string?> { ["Wati:Models:MaxRetries"] = "0" });
        const int Throttles = 15; // the breaker opens after 10 handled failures at a 50% ratio
        host.Fake.Script(Enumerable.Range(0, Throttles).Select(_ => new FakeScenario(FakeOutcome.Throttle, RetryAfterSeconds: 0)).ToArray());

        for (var i = 0; i < Throttles; i++)
        {
            var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));
            Assert.True(e.IsThrottled, $"run {i}: {e.Message}");
        }

        // Someone else's job right after: the breaker is closed, the call reaches Replicate and succeeds.
        var result = await host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None);
        Assert.Single(result.Outputs);
        Assert.Equal(Throttles + 1, host.Creates.Count);
    }

    // --- 6. bounded outside text -----------------------------------------------------------------------------

    [Fact]
    public async Task AFortyThousandCharacterModelErrorIsCutToTheBound()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        var error = "CUDA error: " + new string('x', 40_000);
        host.Fake.Script(new FakeScenario(FakeOutcome.Fail, PollsBeforeDone: 1, Error: error));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.True(e.Message.Length <= OutsideText.ErrorMaxChars, $"{e.Message.Length} characters");
        Assert.Contains("CUDA error: xxx", e.Message);
        Assert.Contains("cut", e.Message);
        Assert.All(host.Logs.Lines, l => Assert.True(l.Length < 3 * OutsideText.ErrorMaxChars, $"a log line of {l.Length} characters"));
    }

    [Fact]
    public void BoundKeepsShortTextAndCutsLongTextWithoutSplittingASurrogatePair()
    {
        Assert.Equal("short", OutsideText.Bound("short"));
        var exact = new string('a', OutsideText.ErrorMaxChars);
        Assert.Same(exact, OutsideText.Bound(exact));

        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 3_000)); // 6,000 UTF-16 units
        var cut = OutsideText.Bound(emoji, 100);
        Assert.True(cut.Length <= 100);
        Assert.False(char.IsHighSurrogate(cut[cut.IndexOf("...", StringComparison.Ordinal) - 1]));
        Assert.Contains("6000 characters", cut);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
