using System.Diagnostics;
using System.Globalization;
using System.Text;
using Wati.Bench;

// bench/run's driver. Usage: Wati.Bench --repo <root> --builds <folder> --publish "<command>" [--quick];
// <folder> holds the published server (server/) and bare app (bare/). Everything runs on loopback; each
// step is bounded in time; the last line printed is the summary the issue asks for.
var quick = args.Contains("--quick");
var repo = Path.GetFullPath(ArgValue(args, "--repo") ?? ".");
var builds = Path.GetFullPath(ArgValue(args, "--builds") ?? throw new ArgumentException("--builds <folder with server/ and bare/ published builds> is required"));
var publish = ArgValue(args, "--publish") ?? "unknown";
var work = Path.Combine(Path.GetTempPath(), "wati-bench-" + Environment.ProcessId);
Directory.CreateDirectory(work);
var plan = new Plan(quick, repo, work, builds, publish);
var report = new Report(plan);
var total = Stopwatch.StartNew();
try
{
    await Steps.RunAllAsync(plan, report);
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}
var file = report.Write(total.Elapsed);
Console.WriteLine($"results: {Path.GetRelativePath(repo, file)} ({total.Elapsed.TotalSeconds:F0} s)");
Console.WriteLine(report.SummaryLine());
return 0;

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

namespace Wati.Bench
{
    /// <summary>Durations and sizes of one run; <c>--quick</c> keeps the whole run within 5 minutes.</summary>
    internal sealed record Plan(bool Quick, string Repo, string Work, string Builds, string PublishCommand)
    {
        public int WrkSeconds => Quick ? 5 : 15;
        /// <summary>
        /// wrk before each measurement, for the JIT's tiering (ReadyToRun code, then instrumented, then optimized) to
        /// settle: after 2 s the server was still climbing (a second 5 s round ran 20-50% faster than the first), the
        /// bare app, with far less code, was not.
        /// </summary>
        public int WrkWarmupSeconds => Quick ? 5 : 10;
        public int WrkConnections => 32;

        /// <summary>Rounds over the HTTP targets (bare app, key, token, manifest), in rotating order.</summary>
        public int HttpRounds => Quick ? 2 : 3;
        public int JobSeconds => Quick ? 8 : 25;
        public int MoneySeconds => Quick ? 4 : 15;
        public int VipsRuns => Quick ? 7 : 21;
        public int ColdStarts => 5;
        public int SmallStore => 1_000;
        public int LargeStore => 100_000;
        public string ServerDll => Path.Combine(Builds, "server/Wati.Server.dll");
        public string BareDll => Path.Combine(Builds, "bare/BareApp.dll");

        /// <summary>Which build is measured: the publish command, and whether each host's own assembly holds ReadyToRun code (read from its PE header).</summary>
        public string BuildNote() =>
            $"{PublishCommand}; ReadyToRun code in Wati.Server.dll: {YesNo(IsReadyToRun(ServerDll))}, in Wati.Platform.dll: " +
            $"{YesNo(IsReadyToRun(Path.Combine(Builds, "server/Wati.Platform.dll")))}, in BareApp.dll: {YesNo(IsReadyToRun(BareDll))}";

        private static string YesNo(bool b) => b ? "yes" : "no";

        /// <summary>Whether an assembly carries precompiled (ReadyToRun) code: its CLI header points at a managed native header.</summary>
        public static bool IsReadyToRun(string path)
        {
            using var stream = File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
        }
        public static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>Collects every measurement and writes the markdown table and the summary line.</summary>
    internal sealed class Report(Plan plan)
    {
        private readonly List<(string Section, string Row)> _rows = [];
        private readonly string _loadBefore = Steps.LoadAverage();
        public double ApiRatio = double.NaN, DispatchP50 = double.NaN, OverheadPct = double.NaN, VipsRatio = double.NaN;
        public double ColdStartMs = double.NaN, ColdRatio = double.NaN;
        public bool CreditExact;
        public readonly List<string> Notes = [];

        public void Add(string section, string row)
        {
            _rows.Add((section, row));
            Console.WriteLine($"  [{section}] {row}");
        }

        private static string Verdict(string name, bool met) => $"{name} {(met ? "met" : "missed")}";

        /// <summary>A command's trimmed output, or "unknown" when it cannot run (no git checkout, no wrk).</summary>
        private static string Probe(string file, params string[] args)
        {
            try
            {
                var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in args) psi.ArgumentList.Add(a);
                using var p = System.Diagnostics.Process.Start(psi)!;
                var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                return text.Trim();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return "unknown";
            }
        }

        private static string CpuModel() =>
            File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name")) is { } line
                ? line[(line.IndexOf(':') + 1)..].Trim() : "unknown";

        public string SummaryLine() =>
            $"bench: api_ratio={Plan.F(ApiRatio, "F2")} dispatch_p50_ms={Plan.F(DispatchP50)} overhead_pct={Plan.F(OverheadPct)} " +
            $"vips_ratio={Plan.F(VipsRatio, "F2")} cold_start_ms={Plan.F(ColdStartMs, "F0")} cold_ratio={Plan.F(ColdRatio, "F2")} " +
            $"credit_exact={(CreditExact ? "true" : "false")}";

        public string Write(TimeSpan took)
        {
            var now = DateTime.UtcNow;
            var dir = Path.Combine(plan.Repo, "bench/results");
            Directory.CreateDirectory(dir);
            var path = Path.Combine(dir, $"{now:yyyyMMdd-HHmmss}{(plan.Quick ? "-quick" : "")}.md");
            var sb = new StringBuilder();
            sb.AppendLine($"# bench/run{(plan.Quick ? " --quick" : "")}, {now:yyyy-MM-dd HH:mm} UTC");
            sb.AppendLine();
            sb.AppendLine($"cores: {Environment.ProcessorCount}; load before: {_loadBefore}, after: {Steps.LoadAverage()}; took {took.TotalSeconds:F0} s; " +
                          $".NET {Environment.Version}; wrk {plan.WrkSeconds} s x {plan.WrkConnections} connections");
            sb.AppendLine();
            sb.AppendLine($"build measured (server and bare app alike): {plan.BuildNote()}");
            sb.AppendLine();
            sb.AppendLine($"source: {Probe("git", "-C", plan.Repo, "rev-parse", "--short", "HEAD")}" +
                          $"{(Probe("git", "-C", plan.Repo, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results") is { Length: > 0 } ? " with uncommitted changes" : "")}; " +
                          $"{Probe("wrk", "--version").Split('\n')[0]}; CPU: {CpuModel()}");
            sb.AppendLine();
            foreach (var group in _rows.GroupBy(r => r.Section))
            {
                sb.AppendLine($"## {group.Key}");
                sb.AppendLine();
                var first = true;
                foreach (var (_, row) in group)
                {
                    sb.AppendLine("| " + row + " |");
                    if (first) sb.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", row.Split(" | ").Length)));
                    first = false;
                }
                sb.AppendLine();
            }
            if (Notes.Count > 0)
            {
                sb.AppendLine("## Notes");
                sb.AppendLine();
                foreach (var n in Notes) sb.AppendLine("- " + n);
                sb.AppendLine();
            }
            sb.AppendLine($"targets: api_ratio >= 0.6, dispatch_p50_ms <= 10, overhead_pct <= 15, vips_ratio <= 1.1, cold_ratio <= 1.5, credit_exact = true");
            sb.AppendLine();
            sb.AppendLine("this run: " + string.Join(", ", new[]
            {
                Verdict("api_ratio", ApiRatio >= 0.6), Verdict("dispatch_p50_ms", DispatchP50 <= 10), Verdict("overhead_pct", OverheadPct <= 15),
                Verdict("vips_ratio", VipsRatio <= 1.1), Verdict("cold_ratio", ColdRatio <= 1.5), Verdict("credit_exact", CreditExact),
            }) + " (one run on a shared machine: compare several before concluding)");
            sb.AppendLine();
            sb.AppendLine(SummaryLine());
            File.WriteAllText(path, sb.ToString());
            return path;
        }
    }
}
