using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>
/// Runs <c>scripts/check-deployment.sh</c> (issue 17, "A check to run against a deployment") against the
/// built server started as a process, the way an operator runs it against a deployment.
/// </summary>
public static class DeploymentCheck
{
    /// <summary>The admin the server is started with (<c>Wati:Bootstrap</c>) and the script is given.</summary>
    public const string AdminEmail = "admin@example.com";

    /// <summary>Its password: never to appear in what the script prints.</summary>
    public const string AdminPassword = "the check's admin PASSWORD 7f3a";

    /// <summary>One run of the script: its exit code and its output, stdout and stderr apart.</summary>
    public sealed record Run(int ExitCode, string Output, string Errors)
    {
        /// <summary>The lines it printed on stdout.</summary>
        public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        /// <summary>Everything it printed, for an assertion's message.</summary>
        public override string ToString() => $"exit {ExitCode}\n{Output}\n-- stderr --\n{Errors}";
    }

    /// <summary>The built server (<c>dotnet Wati.Server.dll</c>) on a free loopback port, killed on dispose.</summary>
    public sealed class Server : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private Server(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
        }

        /// <summary>Where it listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
        public string BaseUrl { get; }

        /// <summary>What it printed so far, for an assertion's message.</summary>
        public string Log
        {
            get { lock (_log) return _log.ToString(); }
        }

        /// <summary>Starts it with <paramref name="settings"/> as environment variables (<c>Wati__...</c>) and an admin.</summary>
        public static async Task<Server> StartAsync(int port, IReadOnlyDictionary<string, string> settings)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = ServerOutputDir(),
            };
            psi.ArgumentList.Add(Path.Combine(ServerOutputDir(), "Wati.Server.dll"));
            psi.ArgumentList.Add("--urls");
            psi.ArgumentList.Add($"http://127.0.0.1:{port}");
            psi.Environment["Wati__Bootstrap__AdminEmail"] = AdminEmail;
            psi.Environment["Wati__Bootstrap__AdminPassword"] = AdminPassword;
            foreach (var (key, value) in settings) psi.Environment[key] = value;

            var server = new Server(Process.Start(psi)!, $"http://127.0.0.1:{port}");
            server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            await server.WaitHealthyAsync();
            return server;
        }

        private void Append(string? line)
        {
            if (line is not null) lock (_log) _log.AppendLine(line);
        }

        private async Task WaitHealthyAsync()
        {
            using var http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(90) && !_process.HasExited)
            {
                try
                {
                    if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(100);
            }
            await DisposeAsync();
            Assert.Fail("the server did not answer /healthz:\n" + Log);
        }

        /// <summary>Kills the server and waits until it has exited.</summary>
        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }

    /// <summary>
    /// <c>bash scripts/check-deployment.sh BASE_URL</c> with the admin from the environment; killed (and the
    /// test failed) if it has not ended within five minutes, so a hang cannot stall the test run. With
    /// <paramref name="interruptAfter"/>, the script is sent SIGTERM (as Ctrl+C or a CI timeout would) once it
    /// has printed a line starting with it.
    /// </summary>
    public static async Task<Run> RunAsync(string baseUrl, string adminPassword = AdminPassword, string? interruptAfter = null)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = RepoRoot(),
        };
        psi.ArgumentList.Add(Path.Combine(RepoRoot(), "scripts", "check-deployment.sh"));
        psi.ArgumentList.Add(baseUrl);
        psi.Environment["WATI_CHECK_ADMIN_EMAIL"] = AdminEmail;
        psi.Environment["WATI_CHECK_ADMIN_PASSWORD"] = adminPassword;
        psi.Environment["WATI_CHECK_POLL_SECONDS"] = "120";
        // The script holds after the step the test interrupts at (until the signal comes), so the signal always
        // lands mid-walk: without it a fast run could finish before the signal reached it (seen under load).
        if (interruptAfter is not null) psi.Environment["WATI_CHECK_HOLD_AFTER"] = interruptAfter["ok   ".Length..];
        using var process = Process.Start(psi)!;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var interrupted = 0;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.Append(e.Data).Append('\n');
            if (interruptAfter is not null && e.Data.StartsWith(interruptAfter, StringComparison.Ordinal) &&
                Interlocked.Exchange(ref interrupted, 1) == 0)
                Terminate(process.Id);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (errors) errors.Append(e.Data).Append('\n');
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit(); // every line of output received
        var run = new Run(process.ExitCode, output.ToString(), errors.ToString());
        Assert.False(limit.IsCancellationRequested, "check-deployment.sh did not end within 5 minutes:\n" + run);
        return run;
    }

    // SIGTERM (Process.Kill sends SIGKILL, which no script can clean up after).
    private static void Terminate(int pid)
    {
        using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The steps every passing run reports, in the words of the script's "ok" lines.</summary>
    public static readonly string[] Steps =
    [
        "healthz", "readyz: ", "register test account check+", "log in", "create API key", "prices", "admin log in",
        "admin grants", "credits: balance", "ledger after the grant (page_size=100)",
        "gfpgan job: ", "replace-style job: ", "replace-background job: ", "iclight job: ",
        "uploads: ", "batch of two: ", "batch manifest: 2 outputs download as images", "credits settle: ",
        "jobs (page_size=100): 6 listed", "ledger (page_size=100)", "api-keys (page_size=100): 1 listed",
        "batches (page_size=100): 1 listed", "batch items (page_size=100): 2 listed", "manifest (page_size=100)",
        "portraits (page_size=100)", "admin metrics (page_size=100)", "admin stuck jobs (page_size=100)",
        "admin dead letters (page_size=100)", "page_size 101 refused: 400 VALIDATION_ERROR",
        "cleanup: batch ", "cleanup: 6 job(s) deleted", "cleanup: API key ",
    ];

    /// <summary>A loopback port free at the time of the call.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WatiAigc.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return dir.FullName;
    }

    /// <summary>The server project's own build output (same configuration as this test assembly).</summary>
    private static string ServerOutputDir()
    {
        var configuration = typeof(DeploymentCheck).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var serverDir = Path.Combine(RepoRoot(), "server", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(serverDir, "Wati.Server.dll")), $"no server build in {serverDir}");
        return serverDir;
    }
}
