using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Wati.Bench;

/// <summary>A server or bare app process on a loopback port, started from a folder that is not its own.</summary>
internal sealed class Host : IAsyncDisposable
{
    private readonly Process _process;
    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public int Pid => _process.Id;
    public string LogPath { get; }

    private Host(Process process, int port, string logPath)
    {
        _process = process;
        Port = port;
        LogPath = logPath;
    }

    /// <summary>
    /// Starts <paramref name="dll"/> with <c>dotnet</c> in <paramref name="workingDir"/>, its stdout and
    /// stderr counted into <see cref="LogPath"/>; <paramref name="env"/> are extra settings.
    /// </summary>
    public static Host Start(string dll, string workingDir, IReadOnlyDictionary<string, string> env)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["DOTNET_gcServer"] = "0";
        var log = Path.Combine(workingDir, $"host-{port}.log");
        var process = Process.Start(psi)!;
        var writer = new StreamWriter(log) { AutoFlush = false };
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) writer.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (gate) writer.Flush(); };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Host(process, port, log) { _writer = writer, _gate = gate };
    }

    private StreamWriter? _writer;
    private object? _gate;

    /// <summary>Milliseconds from process start to the first 200 from <c>/healthz</c> (polled every 2 ms).</summary>
    public async Task<double> WaitHealthyAsync(Stopwatch sinceStart, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (sinceStart.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"host exited with {_process.ExitCode}; see {LogPath}");
            try
            {
                using var r = await http.GetAsync(BaseUrl + "/healthz");
                if (r.StatusCode == HttpStatusCode.OK) return sinceStart.Elapsed.TotalMilliseconds;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(2);
        }
        throw new TimeoutException($"no 200 from {BaseUrl}/healthz within {timeout}; see {LogPath}");
    }

    /// <summary>Resident set size in MiB (from /proc), or NaN where there is no /proc.</summary>
    public double RssMiB()
    {
        try
        {
            var status = File.ReadAllText($"/proc/{Pid}/status");
            var m = Regex.Match(status, @"VmRSS:\s+(\d+) kB");
            return m.Success ? long.Parse(m.Groups[1].Value) / 1024.0 : double.NaN;
        }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>
    /// CPU time the process has used so far, all its threads, in milliseconds (the first field of each
    /// thread's <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat</c>, nanoseconds on the CPU); NaN where there is no /proc.
    /// Unlike wall time it hardly moves with what else the machine runs.
    /// </summary>
    public double CpuMs()
    {
        try
        {
            long ns = 0;
            foreach (var task in Directory.GetDirectories($"/proc/{Pid}/task"))
            {
                try { ns += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0]); }
                catch (IOException) { } // the thread ended meanwhile
            }
            return ns / 1e6;
        }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>Bytes of output (logs) the process has written so far.</summary>
    public long LogBytes()
    {
        lock (_gate!) _writer!.Flush();
        return new FileInfo(LogPath).Length;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        lock (_gate!) _writer!.Dispose();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>One wrk run's figures.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long Requests);

/// <summary>Runs the <c>wrk</c> command and reads its <c>--latency</c> report.</summary>
internal static class Wrk
{
    public static async Task<WrkResult> RunAsync(Plan plan, string url, string? authorization, int seconds)
    {
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t2", $"-c{plan.WrkConnections}", $"-d{seconds}s", "--latency", "--timeout", "5s" }) psi.ArgumentList.Add(a);
        if (authorization is not null)
        {
            psi.ArgumentList.Add("-H");
            psi.ArgumentList.Add("Authorization: " + authorization);
        }
        psi.ArgumentList.Add(url);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({p.ExitCode}): {stderr}");
        var rps = Number(stdout, @"Requests/sec:\s+([\d.]+)");
        var requests = (long)Number(stdout, @"(\d+) requests in");
        var non2xx = Regex.Match(stdout, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value) : 0;
        return new WrkResult(rps, Latency(stdout, "50%"), Latency(stdout, "99%"), non2xx, requests);
    }

    private static double Number(string text, string pattern) =>
        Regex.Match(text, pattern) is { Success: true } m ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;

    /// <summary>A latency percentile line ("50%  1.23ms") in milliseconds.</summary>
    private static double Latency(string text, string percentile)
    {
        var m = Regex.Match(text, Regex.Escape(percentile) + @"\s+([\d.]+)(us|ms|s)\b");
        if (!m.Success) return double.NaN;
        var v = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }
}
