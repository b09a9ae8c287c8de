using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using static Wati.Bench.Plan;

namespace Wati.Bench;

/// <summary>The measurements of one run, in order; each writes its rows and headline figures into the report.</summary>
internal static class Steps
{
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static async Task RunAllAsync(Plan plan, Report report)
    {
        var small = Path.Combine(plan.Work, "store-1k");
        SeededUser bench;
        SeededUser[] jobUsers;
        Console.WriteLine($"bench: seeding {plan.SmallStore} users and jobs");
        await using (var platform = new Platform(small))
        {
            await platform.SeedAsync(plan.SmallStore, "s");
            bench = await platform.UserAsync("bench@bench.example", 0);
            jobUsers = new SeededUser[4];
            for (var i = 0; i < jobUsers.Length; i++) jobUsers[i] = await platform.UserAsync($"jobs{i}@bench.example", 1_000_000);
        }

        await ColdStartAsync(plan, report, small, bench);
        await HttpAsync(plan, report, small, bench);
        await VipsAndJobsAsync(plan, report, small, jobUsers);
        await MoneyAsync(plan, report);
        await ScaleAsync(plan, report, small, bench);
    }

    private static Dictionary<string, string> ServerEnv(string dataDir, int concurrency = 2) => new()
    {
        ["Wati__DataDir"] = dataDir,
        ["Wati__Queue__Concurrency"] = concurrency.ToString(),
        ["Wati__Models__MaxConcurrentRuns"] = concurrency.ToString(),
        ["Wati__Jobs__MaxActivePerUser"] = "4",
    };

    private static async Task ColdStartAsync(Plan plan, Report report, string dataDir, SeededUser user)
    {
        Console.WriteLine("bench: cold start");
        var bare = new List<ColdStart>();
        var server = new List<ColdStart>();
        for (var i = 0; i < plan.ColdStarts; i++)
        {
            bare.Add(await OneColdStart(plan.BareDll, plan.Work, [], null));
            server.Add(await OneColdStart(plan.ServerDll, plan.Work, ServerEnv(dataDir), "Bearer " + user.ApiKey));
        }
        var bareMs = bare.Select(s => s.HealthyMs).ToList();
        var serverMs = server.Select(s => s.HealthyMs).ToList();
        var creditsMs = server.Select(s => s.CreditsMs).ToList();
        report.ColdStartMs = Stats.Median(serverMs);
        report.ColdRatio = report.ColdStartMs / Stats.Median(bareMs);
        const string section = "Cold start (process start to first 200 from /healthz, median of 5)";
        report.Add(section, "host | median ms | min ms | max ms | CPU ms to that 200, median | first 200 of GET /v1/credits (API key), median ms | min ms | max ms");
        report.Add(section, $"bare app | {F(Stats.Median(bareMs), "F0")} | {F(bareMs.Min(), "F0")} | {F(bareMs.Max(), "F0")} | " +
                            $"{F(Stats.Median(bare.Select(s => s.CpuMs).ToList()), "F0")} | | |");
        report.Add(section, $"server | {F(Stats.Median(serverMs), "F0")} | {F(serverMs.Min(), "F0")} | {F(serverMs.Max(), "F0")} | " +
                            $"{F(Stats.Median(server.Select(s => s.CpuMs).ToList()), "F0")} | " +
                            $"{F(Stats.Median(creditsMs), "F0")} | {F(creditsMs.Min(), "F0")} | {F(creditsMs.Max(), "F0")}");
        report.Notes.Add("cold start: each start is a new process of the published build, started from a folder that is not its own; " +
                         "CPU ms = CPU time of all the process's threads when /healthz first answered 200 (from /proc; it moves far less than " +
                         "wall time with the machine's load, so compare it when the load average is high); the /v1/credits column is the same " +
                         "start's time from process start to the first 200 of an API-key GET /v1/credits, sent right after /healthz first " +
                         "answered 200 (a real answer: key lookup, balance read, envelope, first-call JIT).");
    }

    private sealed record ColdStart(double HealthyMs, double CpuMs, double CreditsMs);

    /// <summary>
    /// One start: milliseconds from process start to the first 200 from <c>/healthz</c> and the CPU time used by
    /// then; when <paramref name="authorization"/> is given, also to the first 200 of <c>GET /v1/credits</c> sent right after (else NaN).
    /// </summary>
    private static async Task<ColdStart> OneColdStart(string dll, string cwd, Dictionary<string, string> env, string? authorization)
    {
        var sw = Stopwatch.StartNew();
        await using var host = Host.Start(dll, cwd, env);
        var healthy = await host.WaitHealthyAsync(sw, TimeSpan.FromSeconds(60));
        var cpu = host.CpuMs();
        if (authorization is null) return new ColdStart(healthy, cpu, double.NaN);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, host.BaseUrl + "/v1/credits");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await http.SendAsync(request);
        var ms = sw.Elapsed.TotalMilliseconds;
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
            throw new InvalidOperationException($"GET /v1/credits answered {(int)response.StatusCode} at cold start: {await response.Content.ReadAsStringAsync()}");
        return new ColdStart(healthy, cpu, ms);
    }

    /// <summary>
    /// wrk against the bare app and the server's credits (API key, access token) and manifest. Both hosts run side by
    /// side (the one not measured is idle); every target is warmed, then measured in rounds whose order rotates, so
    /// that drift in a shared machine's load falls on all targets alike. Each figure is the mean of its rounds.
    /// </summary>
    private static async Task HttpAsync(Plan plan, Report report, string dataDir, SeededUser bench)
    {
        const string section = "HTTP overhead (wrk)";
        Console.WriteLine("bench: wrk against the bare app and the server, in rotating rounds");
        await using var bare = Host.Start(plan.BareDll, plan.Work, new Dictionary<string, string>());
        await using var server = Host.Start(plan.ServerDll, plan.Work, ServerEnv(dataDir));
        await bare.WaitHealthyAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(60));
        await server.WaitHealthyAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(60));
        (string Name, Host Host, string Path, string? Auth)[] targets =
        [
            ("bare app GET /json", bare, "/json", null),
            ("server GET /v1/credits (API key)", server, "/v1/credits", "Bearer " + bench.ApiKey),
            ("server GET /v1/credits (access token)", server, "/v1/credits", "Bearer " + bench.Token),
            ("server GET /v1/manifest (public)", server, "/v1/manifest", null),
        ];
        var results = targets.Select(_ => new List<Measured>()).ToArray();
        for (var round = 0; round < plan.HttpRounds; round++)
        {
            for (var k = 0; k < targets.Length; k++)
            {
                var i = (k + round) % targets.Length;
                results[i].Add(await MeasureAsync(plan, targets[i].Host, targets[i].Path, targets[i].Auth));
            }
        }

        report.Add(section, "target | req/s (mean of rounds) | each round | p50 ms | p99 ms | non-2xx | RSS MiB | log bytes/req | ratio to bare");
        var bareRps = results[0].Average(m => m.Wrk.RequestsPerSecond);
        for (var i = 0; i < targets.Length; i++)
        {
            var list = results[i];
            var rps = list.Average(m => m.Wrk.RequestsPerSecond);
            report.Add(section, $"{targets[i].Name} | {F(rps, "F0")} | {string.Join(", ", list.Select(m => F(m.Wrk.RequestsPerSecond, "F0")))} | " +
                                $"{F(list.Average(m => m.Wrk.P50Ms), "F2")} | {F(list.Average(m => m.Wrk.P99Ms), "F2")} | {list.Sum(m => m.Wrk.Non2xx)} | " +
                                $"{F(list.Max(m => m.RssMiB), "F0")} | {F(list.Average(m => m.LogBytesPerRequest), "F1")} | {F(rps / bareRps, "F2")}");
        }
        report.ApiRatio = Math.Min(results[1].Average(m => m.Wrk.RequestsPerSecond), results[2].Average(m => m.Wrk.RequestsPerSecond)) / bareRps;
    }

    private sealed record Measured(WrkResult Wrk, double RssMiB, double LogBytesPerRequest);

    private static async Task<Measured> MeasureAsync(Plan plan, Host host, string path, string? auth)
    {
        await Wrk.RunAsync(plan, host.BaseUrl + path, auth, plan.WrkWarmupSeconds);
        var logBefore = host.LogBytes();
        var r = await Wrk.RunAsync(plan, host.BaseUrl + path, auth, plan.WrkSeconds);
        var logBytes = host.LogBytes() - logBefore;
        return new Measured(r, host.RssMiB(), r.Requests > 0 ? (double)logBytes / r.Requests : double.NaN);
    }

    private static async Task VipsAndJobsAsync(Plan plan, Report report, string dataDir, SeededUser[] users)
    {
        Console.WriteLine("bench: gfpgan in-process vs the vips CLI");
        var imagePath = Path.Combine(plan.Work, "photo-1mp.jpg");
        var image = Vips.MakeImage(imagePath);
        var (ours1, cli) = await Vips.InterleavedAsync(image, imagePath, plan.Work, plan.VipsRuns);
        var cliVersion = (await Vips.Exec("vips", "--version")).Trim();
        report.VipsRatio = ours1 / cli;
        const string vipsSection = "Image work: gfpgan (1200x834 JPEG, scale 2, sharpen) vs the vips CLI";
        report.Add(vipsSection, "what | median ms");
        report.Add(vipsSection, $"ours, local provider (NetVips, libvips {NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}) | {F(ours1)}");
        report.Add(vipsSection, $"vips CLI ({cliVersion}): resize + sharpen, two processes (their start included) | {F(cli)}");
        report.Add(vipsSection, $"vips_ratio (ours / CLI) | {F(report.VipsRatio, "F2")}");

        const string jobsSection = "Jobs: async gfpgan, closed-loop clients (one user each), from the job records";
        report.Add(jobsSection, "queue concurrency (= clients = model runs) | jobs | jobs/s | dispatch p50 ms | dispatch p99 ms | end-to-end p50 ms | model_ms p50 (recorded per job) | in-process reference p50 ms | overhead %");
        foreach (var c in new[] { 1, 2, 4 })
        {
            Console.WriteLine($"bench: jobs at concurrency {c}");
            var model = c == 1 ? ours1 : await Vips.OursAsync(image, Math.Max(3, plan.VipsRuns / c), c);
            await using var server = Host.Start(plan.ServerDll, plan.Work, ServerEnv(dataDir, c));
            await server.WaitHealthyAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(60));
            var (jobs, elapsed) = await JobsAsync(server, users.Take(c).ToArray(), image, TimeSpan.FromSeconds(plan.JobSeconds));
            var dispatch = jobs.Select(j => j.DispatchMs).ToList();
            var e2e = Stats.Median(jobs.Select(j => j.EndToEndMs).ToList());
            // Per job: the share of its end-to-end time spent outside the provider (recorded on the job by the processor).
            var overhead = Stats.Median(jobs.Select(j => 100 * (j.EndToEndMs - j.ModelMs) / j.EndToEndMs).ToList());
            report.Add(jobsSection, $"{c} | {jobs.Count} | {F(jobs.Count / elapsed.TotalSeconds, "F2")} | {F(Stats.Median(dispatch))} | " +
                                    $"{F(Stats.Percentile(dispatch, 99))} | {F(e2e)} | {F(Stats.Median(jobs.Select(j => j.ModelMs).ToList()))} | {F(model)} | {F(overhead)}");
            if (c == 2)
            {
                report.DispatchP50 = Stats.Median(dispatch);
                report.OverheadPct = overhead;
            }
        }
        report.Notes.Add("dispatch = started_at - created_at and end-to-end = finished_at - created_at, from each job's record (GET /v1/jobs/{id}); " +
                         "created_at is taken when the submit starts, so dispatch includes storing the input, the charge and the send; " +
                         "jobs/s = jobs finished / time until the last one finished (clients stop submitting after the step's time); " +
                         "in-process reference = the same gfpgan call on the same image in the bench's own process, as many at once as the row's " +
                         "concurrency (for reference only; the 1-at-a-time figure is the vips comparison's); " +
                         "overhead % = median over jobs of (end-to-end - model_ms) / end-to-end, model_ms being the time the job's run spent inside the " +
                         "model provider as the processor recorded it; the summary line takes the default concurrency 2.");
    }

    private sealed record JobTiming(double DispatchMs, double EndToEndMs, double ModelMs);

    /// <summary>Closed-loop clients for <paramref name="duration"/>; the jobs' timings and the time until the last one finished.</summary>
    private static async Task<(List<JobTiming> Jobs, TimeSpan Elapsed)> JobsAsync(Host server, SeededUser[] users, byte[] image, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var all = new List<JobTiming>();
        await Task.WhenAll(users.Select(async user =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl), Timeout = TimeSpan.FromSeconds(120) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.ApiKey);
            while (clock.Elapsed < duration)
            {
                using var form = new MultipartFormDataContent();
                var file = new ByteArrayContent(image);
                file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(file, "image", "photo.jpg");
                form.Add(new StringContent("2"), "scale");
                using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/gfpgan") { Content = form };
                submit.Headers.Add("Prefer", "respond-async");
                using var accepted = await http.SendAsync(submit);
                var body = await accepted.Content.ReadAsStringAsync();
                if ((int)accepted.StatusCode != 202) throw new InvalidOperationException($"submit answered {(int)accepted.StatusCode}: {body}");
                var jobId = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("job_id").GetString();
                while (true)
                {
                    await Task.Delay(5);
                    var view = JsonDocument.Parse(await http.GetStringAsync($"/v1/jobs/{jobId}")).RootElement.GetProperty("data");
                    var state = view.GetProperty("state").GetString();
                    if (state is "queued" or "running") continue;
                    if (state != "succeeded") throw new InvalidOperationException($"job {jobId} ended {state}: {view}");
                    var created = view.GetProperty("created_at").GetDateTimeOffset();
                    var started = view.GetProperty("started_at").GetDateTimeOffset();
                    var finished = view.GetProperty("finished_at").GetDateTimeOffset();
                    var modelMs = view.GetProperty("model_ms").GetDouble();
                    lock (all) all.Add(new JobTiming((started - created).TotalMilliseconds, (finished - created).TotalMilliseconds, modelMs));
                    break;
                }
            }
        }));
        return (all, clock.Elapsed);
    }

    private static async Task MoneyAsync(Plan plan, Report report)
    {
        Console.WriteLine("bench: money under contention");
        var r = await Money.RunAsync(Path.Combine(plan.Work, "store-money"), 64, TimeSpan.FromSeconds(plan.MoneySeconds));
        report.CreditExact = r.Exact;
        const string section = "Money under contention: 64 concurrent charges, then settle or refund, one account (in process, SQLite)";
        report.Add(section, "operations | charges+releases/s | balance | ledger sum | reserved | expected balance | credit_exact");
        report.Add(section, $"{r.Operations} | {F(r.Operations / r.Seconds, "F0")} | {r.Balance} | {r.LedgerSum} | {r.Reserved} | {r.Expected} | {(r.Exact ? "true" : "false")}");
    }

    /// <summary>
    /// <c>GET /v1/credits</c> (API key) on the 1k store and on a 100k store, each on its own fresh server with the
    /// same warm-up, measured in alternating rounds (small, large, then large, small...) so that drift in the
    /// machine's load falls on both alike; each figure is the mean of its rounds.
    /// </summary>
    private static async Task ScaleAsync(Plan plan, Report report, string smallDir, SeededUser smallUser)
    {
        var large = Path.Combine(plan.Work, "store-100k");
        Console.WriteLine($"bench: seeding {plan.LargeStore} users and jobs");
        var seed = Stopwatch.StartNew();
        SeededUser largeUser;
        await using (var platform = new Platform(large))
        {
            await platform.SeedAsync(plan.LargeStore, "l");
            largeUser = await platform.UserAsync("bench@bench.example", 0);
        }
        Console.WriteLine($"bench: seeded in {seed.Elapsed.TotalSeconds:F0} s");
        await using var smallServer = Host.Start(plan.ServerDll, plan.Work, ServerEnv(smallDir));
        await using var largeServer = Host.Start(plan.ServerDll, plan.Work, ServerEnv(large));
        await smallServer.WaitHealthyAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(60));
        await largeServer.WaitHealthyAsync(Stopwatch.StartNew(), TimeSpan.FromSeconds(60));

        var rounds = plan.Quick ? 2 : 3;
        var results = new Dictionary<int, List<WrkResult>> { [plan.SmallStore] = [], [plan.LargeStore] = [] };
        for (var round = 0; round < rounds; round++)
        {
            (int Size, Host Server, SeededUser User)[] order = [(plan.SmallStore, smallServer, smallUser), (plan.LargeStore, largeServer, largeUser)];
            if (round % 2 == 1) Array.Reverse(order);
            foreach (var (size, server, user) in order)
                results[size].Add((await MeasureAsync(plan, server, "/v1/credits", "Bearer " + user.ApiKey)).Wrk);
        }

        const string section = "Scale with the data: GET /v1/credits (API key)";
        report.Add(section, "users and jobs in the store | req/s (mean of rounds) | each round | p50 ms | p99 ms | ratio to 1k");
        var smallRps = results[plan.SmallStore].Average(r => r.RequestsPerSecond);
        foreach (var (size, list) in results)
        {
            var rps = list.Average(r => r.RequestsPerSecond);
            report.Add(section, $"{size} | {F(rps, "F0")} | {string.Join(", ", list.Select(r => F(r.RequestsPerSecond, "F0")))} | " +
                                $"{F(list.Average(r => r.P50Ms), "F2")} | {F(list.Average(r => r.P99Ms), "F2")} | {F(rps / smallRps, "F2")}");
        }
    }
}
