using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>
/// The built server as a service manager starts it: <c>dotnet Wati.Server.dll</c> from an unrelated
/// working directory. Its settings files are still read (content root = the app's folder, issue 13),
/// and at the default level it writes no log line per request.
/// </summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task Started_from_another_folder_it_reads_its_settings_files_and_logs_no_line_per_request()
    {
        var serverDir = ServerOutputDir();
        using var cwd = new TempDir();
        // An environment-specific settings file beside appsettings.json, found through the content root
        // exactly as appsettings.json is; its price is one no default has.
        var environment = "CwdCheck" + Guid.NewGuid().ToString("N")[..8];
        var settingsFile = Path.Combine(serverDir, $"appsettings.{environment}.json");
        await File.WriteAllTextAsync(settingsFile, """{"Wati":{"Credits":{"Prices":{"gfpgan":7}}}}""");
        var port = FreePort();
        var output = new StringBuilder();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = cwd.Path, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(serverDir, "Wati.Server.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        psi.Environment["Wati__DataDir"] = cwd.File("data");
        psi.Environment.Remove("ASPNETCORE_CONTENTROOT");
        psi.Environment.Remove("DOTNET_CONTENTROOT");
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await WaitHealthyAsync(http, process, output);
            await Task.Delay(300); // start-up lines are written asynchronously
            int before;
            lock (output) before = output.Length;

            var prices = JsonDocument.Parse(await http.GetStringAsync("/v1/prices")).RootElement.GetProperty("data").GetProperty("items");
            var gfpgan = prices.EnumerateArray().Single(p => p.GetProperty("model").GetString() == "gfpgan");
            Assert.Equal("7", gfpgan.GetProperty("credits").GetString()); // int64 as a string

            for (var i = 0; i < 20; i++)
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
            await Task.Delay(300);
            lock (output) Assert.True(output.Length == before, "per-request log lines at the default level:\n" + output.ToString(before, output.Length - before));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            File.Delete(settingsFile);
        }
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process process, StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) break;
            try
            {
                if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(50);
        }
        lock (output) Assert.Fail("the server did not answer /healthz:\n" + output);
    }

    [Fact]
    public async Task Invalid_settings_stop_the_start_with_every_problem_in_one_message_and_exit_code_2()
    {
        using var data = new TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(ServerOutputDir(), "Wati.Server.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{FreePort()}");
        psi.Environment["Wati__DataDir"] = data.File("data");
        // Two invalid settings of two options classes: the signing key's own validation used to throw alone
        // while the hosted services were built, with a stack trace and exit code 134.
        psi.Environment["Wati__Auth__SigningKey"] = "short";
        psi.Environment["Wati__Jobs__MaxWaitSeconds"] = "0";
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);

        var said = await stderr + await stdout;
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("wati: not started; fix these settings and start again:", said);
        Assert.Contains("Wati:Auth:SigningKey must be at least 32 bytes", said);
        Assert.Contains("MaxWaitSeconds", said);
        Assert.DoesNotContain("   at ", said); // no stack trace
    }

    /// <summary>The server project's own build output (same configuration as this test assembly).</summary>
    internal static string ServerOutputDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WatiAigc.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var configuration = typeof(ServerProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var serverDir = Path.Combine(dir.FullName, "server", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(serverDir, "Wati.Server.dll")), $"no server build in {serverDir}");
        return serverDir;
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
