using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Users;

/// <summary>Creates the admin named by <c>Wati:Bootstrap:AdminEmail/AdminPassword</c> at start-up, once.</summary>
public sealed class AdminBootstrap(UsersService users, IOptions<BootstrapOptions> options, ILogger<AdminBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.AdminEmail) || string.IsNullOrEmpty(o.AdminPassword)) return;
        await users.EnsureAdminAsync(o.AdminEmail, o.AdminPassword, cancellationToken);
        logger.LogInformation("Admin account {Email} is ready (created now if it did not exist)", o.AdminEmail);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
