using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Health;
using Wati.Tests.Support;

namespace Wati.Tests.Health;

/// <summary>
/// <c>/readyz</c> through the real server (issue 17, "Readiness too slow to tell": a 20 s table outage took
/// 32.8 s to report and named only tables): with two adapters that never answer, it answers 503 within
/// about one check deadline (the default, 2 s), naming both.
/// </summary>
public sealed class ReadinessApiTests
{
    private sealed class App : WatiAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                s.AddSingleton<IReadinessCheck>(new ReadinessProbeTests.ScriptedCheck("hanging-store") { Hangs = true });
                s.AddSingleton<IReadinessCheck>(new ReadinessProbeTests.ScriptedCheck("deaf-store") { IgnoresToken = true });
            });
        }
    }

    [Fact]
    public async Task Readyz_answers_503_within_one_deadline_naming_every_check_that_hangs()
    {
        using var app = new App();
        var api = app.Api();
        (await api.GetAsync("/healthz")).Expect(200);

        var clock = Stopwatch.StartNew();
        // Before the fix the checks ran one after another without a deadline: this never answered.
        var r = (await api.GetAsync("/readyz").WaitAsync(TimeSpan.FromSeconds(60))).Expect(503, "INTERNAL_ERROR");
        clock.Stop();

        var message = r.Json.GetProperty("error").GetProperty("message").GetString()!;
        var checks = r.Json.GetProperty("error").GetProperty("details").GetProperty("checks");
        Assert.Contains("hanging-store: no answer within 2000 ms", message);
        Assert.Contains("deaf-store: no answer within 2000 ms", message);
        Assert.Equal("ok", checks.GetProperty("tables").GetString());
        Assert.Equal("ok", checks.GetProperty("objects").GetString());
        // One 2 s deadline for all checks at once; a generous bound for a loaded machine (one after another: 4 s or more).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3.5), $"/readyz took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
