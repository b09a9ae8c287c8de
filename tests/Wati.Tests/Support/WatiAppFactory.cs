using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Wati.Tests.Support;

/// <summary>
/// The real server in-process on embedded defaults, with its own data folder. PBKDF2 runs at a low
/// iteration count here only to keep the suite fast; the default is tested on its own.
/// </summary>
public class WatiAppFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@wati.test";
    public const string AdminPassword = "admin password 123";

    private readonly TempDir _data = new();
    private readonly Dictionary<string, string?> _settings;

    public WatiAppFactory(IDictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Wati:DataDir"] = _data.Path,
            // The in-memory test server listens nowhere; without this, Program's check that its default
            // port 7071 is free fails every test whenever some other server runs on this machine.
            ["urls"] = "http://127.0.0.1:0",
            ["Wati:Auth:PasswordIterations"] = "1000",
            ["Wati:Credits:SignupBonus"] = "10",
            ["Wati:Bootstrap:AdminEmail"] = AdminEmail,
            ["Wati:Bootstrap:AdminPassword"] = AdminPassword,
            // The in-process server listens nowhere; without this, Program's "port taken" check fails every
            // test while anything else on the machine (another checkout's ./run.sh) holds the default 7071.
            ["urls"] = "http://127.0.0.1:0",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) _settings[k] = v;
    }

    public string DataDir => _data.Path;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        // The test server listens nowhere, but Program's start-up check probes its address: not 7071, which
        // another process on the machine may hold (the tests then failed with "server has not been started").
        builder.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
        // Settings, not only app configuration: the composition picks adapters from configuration while
        // Program.cs runs, before app-configuration callbacks of the factory have been applied.
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(_settings));
    }

    public ApiClient Api() => new(CreateClient());

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _data.Dispose();
    }
}
