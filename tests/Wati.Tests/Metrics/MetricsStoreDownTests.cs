using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Data;
using Wati.Platform.Metrics;
using Wati.Tests.Support;

namespace Wati.Tests.Metrics;

/// <summary>With the <c>usage</c> table failing, calls still answer as usual and their tallies are dropped and counted.</summary>
public sealed class MetricsStoreDownTests(MetricsStoreDownTests.App app) : IClassFixture<MetricsStoreDownTests.App>
{
    public sealed class App : WatiAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                var original = s.Last(d => d.ServiceType == typeof(ITableStore));
                s.Remove(original);
                s.AddSingleton<ITableStore>(sp => new ScriptedTableStore(Resolve(original, sp)) { FailTable = TableNames.Usage });
            });
        }

        private static ITableStore Resolve(ServiceDescriptor d, IServiceProvider sp) =>
            (ITableStore)(d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));
    }

    [Fact]
    public async Task CallsSucceedWhileTheirUsageIsDroppedAndCounted()
    {
        var recorder = app.Services.GetRequiredService<UsageRecorder>();
        var api = app.Api();
        var droppedBefore = recorder.Dropped;

        var (user, _) = await api.NewUserAsync();
        (await user.GetAsync("/v1/credits")).Expect(200);
        (await api.GetAsync("/healthz")).Expect(200);
        // A call is recorded just after its answer is written, so the last one may land a moment after the client has it.
        for (var i = 0; i < 100 && recorder.Dropped - droppedBefore < 3; i++) await Task.Delay(50);
        await recorder.DrainAsync(CancellationToken.None);

        Assert.True(recorder.Dropped - droppedBefore >= 3, $"dropped {recorder.Dropped - droppedBefore}");
        Assert.Equal(0, recorder.Written);
    }
}
