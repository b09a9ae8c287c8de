using FakeReplicate;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
using Wati.Platform.Models;
using Wati.Platform.Models.Replicate;
using Wati.Tests.Api;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>
/// <c>Wati:Models:Provider=replicate</c> through the real host: validated at start, readiness, and jobs
/// run on the fake Replicate end to end (charged, stored from Replicate's outputs, refunded on input errors).
/// </summary>
public sealed class ReplicateConfigurationTests
{
    private static readonly byte[] Photo = TinyImages.Png(6, 4, seed: 7);

    [Fact]
    public void TheServerRefusesToStartWithoutATokenAndNamesTheKey()
    {
        using var app = new ReplicateApp(new Dictionary<string, string?>());

        var e = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var validation = e as OptionsValidationException ?? Assert.IsType<OptionsValidationException>(e.InnerException ?? e.GetBaseException());
        Assert.Contains(validation.Failures, f => f.Contains("Wati:Models:Replicate:Token"));
    }

    [Fact]
    public async Task ReadinessSaysWhatIsMissingWithoutCallingReplicate()
    {
        await using var host = await ReplicateTestHost.StartAsync(new Dictionary<string, string?> { ["Wati:Models:Replicate:Token"] = null });

        var problem = await host.Provider.CheckAsync();

        Assert.NotNull(problem);
        Assert.Contains("Wati:Models:Replicate:Token", problem);
        Assert.Empty(host.Fake.Requests);
    }

    [Fact]
    public async Task ReadinessWithATokenMakesOneAuthenticatedCall()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        Assert.Null(await host.Provider.CheckAsync());

        var call = Assert.Single(host.Fake.Requests);
        Assert.Equal(("GET", "/v1/account", $"Bearer {ReplicateTestHost.Token}"), (call.Method, call.Path, call.Authorization));
    }

    [Fact]
    public async Task JobsRunOnReplicateThroughTheServer()
    {
        await using var fake = await FakeReplicateServer.StartAsync(token: ReplicateTestHost.Token);
        using var app = new ReplicateApp(new Dictionary<string, string?>
        {
            ["Wati:Models:Replicate:Token"] = ReplicateTestHost.Token,
            ["Wati:Models:Replicate:BaseUrl"] = fake.BaseUrl,
            ["Wati:Models:Replicate:PollInitialDelayMs"] = "5",
            ["Wati:Models:RetryBaseDelayMs"] = "1",
        });
        var api = app.Api();
        (await api.GetAsync("/readyz")).Expect(200);
        var (user, _) = await api.NewUserAsync();
        fake.Script(new FakeScenario(PollsBeforeDone: 2), new FakeScenario(FakeOutcome.Reject));

        var ok = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo), ("scale", 2)))).Expect(200);
        var stored = await api.Http.GetAsync(new Uri(ok.Data.GetProperty("url").GetString()!).PathAndQuery);
        var predictionId = Assert.Single(fake.Requests.Where(r => r.Path.StartsWith("/v1/predictions/", StringComparison.Ordinal))
            .Select(r => r.Path.Split('/')[3]).Distinct());
        Assert.Equal(Assert.Single(fake.OutputsOf(predictionId)), await stored.Content.ReadAsByteArrayAsync());
        Assert.EndsWith(".png", ok.Data.GetProperty("key").GetString());

        // Replicate's 422 about the input: the caller's values, refused by validation (issue 17).
        var rejected = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo)))).Expect(400, "PROCESSING_ERROR");
        Assert.Contains("invalid input", rejected.Body);
        Assert.Equal("9", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    /// <summary>
    /// Field report "A long model error stalls the job" (issue 17): a 40,000-character Replicate error is cut
    /// before it is stored, so the job is finalised: failed, refunded, its error text bounded, in the sync
    /// answer and in the poll (SQLite here; Azure refuses a property over 64 KiB).
    /// </summary>
    [Fact]
    public async Task ALongModelErrorFailsTheJobRefundedWithItsTextBounded() => await LongModelErrorAsync(azureTables: false);

    /// <summary>
    /// The same on Azure tables (Azurite; through the strict layer when <c>./test.sh</c> puts it in front, which
    /// refuses a property over 64 KiB as Azure does: a 40,000-character error is 80,000 bytes in UTF-16).
    /// </summary>
    [Fact]
    public async Task ALongModelErrorFailsTheJobRefundedWithItsTextBoundedOnAzureTables() => await LongModelErrorAsync(azureTables: true);

    private static async Task LongModelErrorAsync(bool azureTables)
    {
        await using var fake = await FakeReplicateServer.StartAsync(token: ReplicateTestHost.Token);
        var settings = Settings(fake);
        if (azureTables)
        {
            settings["Wati:Tables:Provider"] = "azure";
            settings["Wati:Tables:ConnectionString"] = Emulators.AzuriteTables;
        }
        using var app = new ReplicateApp(settings);
        var api = app.Api();
        var (user, _) = await api.NewUserAsync();
        fake.Script(new FakeScenario(FakeOutcome.Fail, PollsBeforeDone: 1, Error: "Traceback: " + new string('e', 40_000)));

        var failed = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo)))).Expect(500, "PROCESSING_ERROR");

        var message = failed.Json.GetProperty("error").GetProperty("message").GetString()!;
        Assert.InRange(message.Length, 100, OutsideText.ErrorMaxChars);
        Assert.Contains("Traceback: eee", message);
        var jobId = failed.Json.GetProperty("error").GetProperty("details").GetProperty("job_id").GetString();
        var job = (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200).Data;
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.InRange(job.GetProperty("error").GetProperty("message").GetString()!.Length, 100, OutsideText.ErrorMaxChars);
        Assert.Equal("10", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    /// <summary>
    /// Replicate's 422 "Invalid version or not permitted" is our configuration, not the caller's input: the job
    /// fails with 500 INTERNAL_ERROR, is refunded, is not retried, and /readyz names the setting (issue 17).
    /// </summary>
    [Fact]
    public async Task AnInvalidVersionFailsTheJobAsOurErrorRefundsItAndTurnsReadinessRed()
    {
        await using var fake = await FakeReplicateServer.StartAsync(token: ReplicateTestHost.Token);
        using var app = new ReplicateApp(Settings(fake));
        var api = app.Api();
        (await api.GetAsync("/readyz")).Expect(200);
        var (user, _) = await api.NewUserAsync();
        fake.MakeUnavailable(ReplicateDefaults.Models[ModelNames.Gfpgan].Version!);

        var failed = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo)))).Expect(500, "INTERNAL_ERROR");

        Assert.DoesNotContain(ReplicateTestHost.Token, failed.Body);
        Assert.Single(fake.Requests, r => r.Method == "POST" && r.Path == "/v1/predictions");
        Assert.Equal("10", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
        var jobId = failed.Json.GetProperty("error").GetProperty("details").GetProperty("job_id").GetString();
        var job = (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200).Data;
        Assert.Equal(("failed", "INTERNAL_ERROR"), (job.GetProperty("state").GetString(), job.GetProperty("error").GetProperty("code").GetString()));
        var ready = await api.GetAsync("/readyz");
        Assert.Equal(503, ready.Code);
        Assert.Contains("Wati:Models:Replicate:Models:gfpgan:Version", ready.Body);
    }

    private static Dictionary<string, string?> Settings(FakeReplicateServer fake) => new()
    {
        ["Wati:Models:Replicate:Token"] = ReplicateTestHost.Token,
        ["Wati:Models:Replicate:BaseUrl"] = fake.BaseUrl,
        ["Wati:Models:Replicate:PollInitialDelayMs"] = "5",
        ["Wati:Models:RetryBaseDelayMs"] = "1",
    };

    /// <summary>
    /// The host with the replicate provider. The provider switch reads configuration while services are
    /// registered, before the factory's app configuration applies, so it goes in as a host setting.
    /// </summary>
    private sealed class ReplicateApp(IDictionary<string, string?> settings) : WatiAppFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Wati:Models:Provider", "replicate");
        }
    }
}
