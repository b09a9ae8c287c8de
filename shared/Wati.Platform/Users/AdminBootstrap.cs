using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Users;

/// <summary>
/// Creates the admin named by <c>Wati:Bootstrap:AdminEmail/AdminPassword</c> at start-up, or promotes the
/// account at that address when the configured password opens it; when it does not, start-up stops with
/// a message saying so (issue 24 finding 8). It logs only what is true of the store.
/// </summary>
public sealed class AdminBootstrap(UsersService users, IOptions<BootstrapOptions> options, ILogger<AdminBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.AdminEmail) || string.IsNullOrEmpty(o.AdminPassword)) return;
        switch (await users.EnsureAdminAsync(o.AdminEmail, o.AdminPassword, cancellationToken))
        {
            case AdminOutcome.Created: logger.LogInformation("Admin account {Email} created", o.AdminEmail); break;
            case AdminOutcome.Existed: logger.LogInformation("Admin account {Email} exists", o.AdminEmail); break;
            case AdminOutcome.Promoted:
                logger.LogWarning("Account {Email} existed as an ordinary user; the configured admin password opens it, so it is now the admin", o.AdminEmail);
                break;
            default:
                // A settings problem (they contradict the store), reported as the host reports every invalid setting.
                throw new OptionsValidationException(BootstrapOptions.Section, typeof(BootstrapOptions), [
                    $"Wati:Bootstrap:AdminEmail {o.AdminEmail} belongs to an existing account that Wati:Bootstrap:AdminPassword does not open, " +
                    "so it was not made the admin. Configure another admin e-mail, or the password of that account."]);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
