using Wati.Tests.Composition;
using Wati.Tests.Support;

namespace Wati.Tests.Health;

/// <summary>
/// The server on Azurite through the strict layer in the role of the app's managed identity
/// (<see cref="Emulators.AzuriteTablesAsManagedIdentity"/>, <see cref="Emulators.AzuriteQueuesAsManagedIdentity"/>:
/// 403 AuthorizationPermissionMismatch to every <c>?restype=service</c> call, as Azure answers an identity
/// holding only the template's data-plane roles): <c>/readyz</c> is ready (issue 17: the queue probe used
/// Get Queue Service Properties and would have reported the queue down for ever).
/// </summary>
[Collection(Wati.Tests.Queue.AzuriteJobQueues.Name)]
public sealed class ManagedIdentityReadinessTests
{
    [Fact]
    public async Task Readyz_is_ready_with_only_the_data_plane_permissions_the_template_grants()
    {
        var settings = AdapterSelectionTests.OnEmulators(await AdapterSelectionTests.NewBucketAsync());
        settings["Wati:Tables:ConnectionString"] = Emulators.AzuriteTablesAsManagedIdentity;
        settings["Wati:Queue:Provider"] = "storage";
        settings["Wati:Queue:Storage:ConnectionString"] = Emulators.AzuriteQueuesAsManagedIdentity;
        using var app = new WatiAppFactory(settings);

        var ready = (await app.Api().GetAsync("/readyz")).Expect(200);

        var checks = ready.Data.GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("tables").GetString());
        Assert.Equal("ok", checks.GetProperty("queue").GetString());
        Assert.Equal("ok", checks.GetProperty("objects").GetString());
    }
}
