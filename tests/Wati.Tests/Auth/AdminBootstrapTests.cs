using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 8: when the configured admin e-mail already belongs to an ordinary account, start-up
/// promotes it only if the configured password opens it; else it stops, saying so, and reports no admin.
/// </summary>
public sealed class AdminBootstrapTests : IDisposable
{
    private const string Email = "boss@example.com";
    private readonly TempDir _dir = new();

    [Fact]
    public async Task AnAccountRegisteredFirstBySomeoneElseStopsStartUpAndStaysOrdinary()
    {
        await RegisterBeforeTheAdminIsConfigured("the squatter's password");

        using (var refused = App("the operator's password"))
        {
            var e = Assert.ThrowsAny<Exception>(() => refused.CreateClient());
            var messages = Chain(e).Select(x => x.Message).ToList();
            Assert.Contains(messages, m => m.Contains("Wati:Bootstrap:AdminEmail", StringComparison.Ordinal) &&
                                           m.Contains(Email, StringComparison.Ordinal) && m.Contains("not made the admin", StringComparison.Ordinal));
        }

        using var unconfigured = App(null);
        var login = (await unconfigured.Api().PostJsonAsync("/v1/auth/login", new { email = Email, password = "the squatter's password" })).Expect(200);
        Assert.Equal("user", login.Data.GetProperty("user").GetProperty("role").GetString());
    }

    [Fact]
    public async Task AnAccountTheConfiguredPasswordOpensIsPromoted()
    {
        await RegisterBeforeTheAdminIsConfigured("the operator's password");

        using var app = App("the operator's password");
        var login = (await app.Api().PostJsonAsync("/v1/auth/login", new { email = Email, password = "the operator's password" })).Expect(200);
        Assert.Equal("admin", login.Data.GetProperty("user").GetProperty("role").GetString());
        var admin = app.Api().As(login.Data.GetProperty("access_token").GetString());
        (await admin.GetAsync("/v1/admin/jobs/stuck")).Expect(200);
    }

    private async Task RegisterBeforeTheAdminIsConfigured(string password)
    {
        using var app = App(null);
        (await app.Api().PostJsonAsync("/v1/auth/register", new { email = Email.ToUpperInvariant(), password })).Expect(201);
    }

    private WatiAppFactory App(string? adminPassword) => new(new Dictionary<string, string?>
    {
        ["Wati:DataDir"] = _dir.Path,
        ["Wati:Bootstrap:AdminEmail"] = adminPassword is null ? "" : Email,
        ["Wati:Bootstrap:AdminPassword"] = adminPassword ?? "",
    });

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
            if (x is AggregateException a) foreach (var inner in a.InnerExceptions.SelectMany(Chain)) yield return inner;
        }
    }

    public void Dispose() => _dir.Dispose();
}
