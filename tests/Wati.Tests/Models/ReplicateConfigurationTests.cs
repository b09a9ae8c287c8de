using FakeReplicate;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Options;
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
        var rejected = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo)))).Expect(400, "VALIDATION_ERROR");
        Assert.Contains("invalid input", rejected.Body);
        Assert.Equal("9", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

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
