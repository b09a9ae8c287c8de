using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wati.Platform.Credits;
using Wati.Platform.Jobs;
using Wati.Platform.Models;
using Wati.Tests.Composition;
using Wati.Tests.Jobs;
using Wati.Tests.Support;

namespace Wati.Tests.Queue;

/// <summary>
/// Test classes that run servers on Azurite's shared <c>jobs-*</c> queues: not in parallel, or one's
/// workers would take the other's messages.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AzuriteJobQueues
{
    public const string Name = "Azurite job queues";
}

/// <summary>
/// Two servers (each with its own queue consumers, model slots and sweeper) share one storage account:
/// Azurite tables and queues, one bucket. This is how the platform scales out without Functions.
/// </summary>
[Collection(AzuriteJobQueues.Name)]
public sealed class TwoServersOnAzuriteTests
{
    private sealed class Server(Dictionary<string, string?> settings) : WatiAppFactory(settings)
    {
        public FakeModelProvider Model { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.UseModel(Model));
        }
    }

    [Fact]
    public async Task EveryJobSubmittedToEitherServerRunsExactlyOnce()
    {
        var settings = AdapterSelectionTests.OnEmulators(await AdapterSelectionTests.NewBucketAsync());
        settings["Wati:Queue:Provider"] = "storage";
        settings["Wati:Queue:Storage:ConnectionString"] = Emulators.AzuriteQueues;
        // Both servers must accept each other's tokens.
        settings["Wati:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Wati:Jobs:MaxActivePerUser"] = "100";
        settings["Wati:Credits:SignupBonus"] = "100";
        settings["Wati:Models:MaxConcurrentRuns"] = "2";
        using var a = new Server(settings);
        using var b = new Server(settings);
        var (userOnA, userId) = await a.Api().NewUserAsync();
        var userOnB = b.Api().As(userOnA.Bearer);

        const int perServer = 20;
        var submits = Enumerable.Range(0, perServer).Select(_ => JobSubmits.GfpganAsync(userOnA))
            .Concat(Enumerable.Range(0, perServer).Select(_ => JobSubmits.GfpganAsync(userOnB)));
        var ids = await Task.WhenAll(submits);
        Assert.Equal(2 * perServer, ids.Distinct().Count());

        var jobs = a.Services.GetRequiredService<JobsService>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        List<JobRecord> records;
        do
        {
            await Task.Delay(200);
            records = [];
            foreach (var id in ids) records.Add(await jobs.GetAsync(userId, id, CancellationToken.None));
        } while (records.Any(r => !JobStates.IsFinished(r.State)) && DateTime.UtcNow < deadline);

        Assert.All(records, r => Assert.Equal((JobStates.Succeeded, 1), (r.State, r.Attempts)));
        Assert.Equal(2 * perServer, a.Model.Calls + b.Model.Calls);

        var credits = a.Services.GetRequiredService<CreditsService>();
        Assert.Equal(new CreditBalance(100 - 2 * perServer, 0), await credits.GetBalanceAsync(userId, CancellationToken.None));
        var ledger = await credits.GetLedgerAsync(userId, Wati.Platform.Common.PageRequest.Create(1, 100), CancellationToken.None);
        Assert.Equal(100 - 2 * perServer, ledger.Items.Sum(e => e.Amount));
    }
}
