using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform;
using Wati.Platform.Auth;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Jobs;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Users;

namespace Wati.Bench;

/// <summary>Credentials of a seeded user, usable against a server on the same data folder.</summary>
internal sealed record SeededUser(string UserId, string ApiKey, string Token);

/// <summary>
/// The platform's own services on an embedded data folder, in this process: seeding stores the server
/// then opens (same signing key file), and the money test. Cheap password hashing (1,000 iterations)
/// so 100k users seed in reasonable time; hashing is not what is measured.
/// </summary>
internal sealed class Platform : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public Platform(string dataDir)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wati:Profile"] = "embedded",
            ["Wati:DataDir"] = dataDir,
            ["Wati:Auth:PasswordIterations"] = "1000",
            ["Wati:Credits:SignupBonus"] = "10",
        }).Build();
        _services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(config).AddWatiPlatform(config).BuildServiceProvider();
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public async Task<SeededUser> UserAsync(string email, long grant)
    {
        var session = await Get<UsersService>().RegisterAsync(email, "bench password 123", "", CancellationToken.None);
        if (grant > 0) await Get<CreditsService>().GrantAsync(session.User.Id, grant, "bench", CancellationToken.None);
        var key = await Get<ApiKeyService>().CreateAsync(session.User.Id, "bench", CancellationToken.None);
        return new SeededUser(session.User.Id, key.Key, session.Token.Token);
    }

    /// <summary>
    /// Adds <paramref name="count"/> users, each with one finished gfpgan job row: the rows registration
    /// writes (profile, account and signup grant in one batch, then the e-mail claim) plus the job, with
    /// one password hash shared by all so seeding 100k users is bounded by the store, not by PBKDF2.
    /// </summary>
    public async Task SeedAsync(int count, string tag)
    {
        var store = Get<ITableStore>();
        var credits = Get<CreditsService>();
        var hash = Get<PasswordHasher>().Hash("bench password 123");
        var created = DateTimeOffset.UtcNow.AddDays(-1);
        var parameters = JsonDocument.Parse("""{"scale":2,"version":"1.4"}""").RootElement.Clone();
        var next = -1;
        await Parallel.ForEachAsync(Enumerable.Range(0, 4), async (_, ct) =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var userId = $"usr_seed{tag}{i:D7}";
                var email = $"seed{i}-{tag}@bench.example";
                var job = new JobRecord
                {
                    Id = $"job_seed{tag}{i:D7}", UserId = userId, Model = ModelNames.Gfpgan, State = JobStates.Succeeded,
                    Params = parameters, Inputs = new Dictionary<string, string> { ["image"] = "inputs/none.jpg" }, Price = 1,
                    CreatedAt = created, StartedAt = created, FinishedAt = created.AddSeconds(1),
                };
                var ops = new List<TableOperation>
                {
                    TableOperation.Insert(new TableEntity(userId, UsersService.ProfileRow).With("email", email).With("display_name", "seed")
                        .With("role", Roles.User).With("password_hash", hash).With("created_at", created)),
                    TableOperation.Insert(job.ToEntity()),
                };
                ops.AddRange(credits.OpenAccountOperations(userId, created));
                await store.ExecuteBatchAsync(TableNames.Users, ops, ct);
                await store.InsertAsync(TableNames.Emails, new TableEntity(email, "user").With("user_id", userId), ct);
            }
        });
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>Money under contention: concurrent charges, settles and refunds on one account.</summary>
internal static class Money
{
    public sealed record Result(int Workers, long Operations, double Seconds, long Balance, long LedgerSum, long Reserved, long Expected)
    {
        public bool Exact => Balance == LedgerSum && Reserved == 0 && Balance == Expected;
    }

    public static async Task<Result> RunAsync(string dataDir, int workers, TimeSpan duration)
    {
        await using var platform = new Platform(dataDir);
        const long start = 1_000_000;
        var user = await platform.UserAsync("money@bench.example", start - 10);
        var credits = platform.Get<CreditsService>();
        long operations = 0, settled = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, workers), new ParallelOptions { MaxDegreeOfParallelism = workers }, async (w, ct) =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var jobId = $"job_money{w:D2}x{n:D6}";
                var amount = 1 + (n % 3);
                await credits.ChargeJobAsync(user.UserId, jobId, amount, "bench charge", null, null, ct);
                if (n % 2 == 0) await credits.RefundJobAsync(user.UserId, jobId, "bench refund", null, ct);
                else
                {
                    await credits.SettleJobAsync(user.UserId, jobId, null, ct);
                    Interlocked.Add(ref settled, amount);
                }
                Interlocked.Add(ref operations, 2);
            }
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var balance = await credits.GetBalanceAsync(user.UserId, CancellationToken.None);
        var store = platform.Get<ITableStore>();
        long sum = 0;
        string? token = null;
        do
        {
            var page = await store.QueryAsync(TableNames.Users, TableQuery.Prefix(user.UserId, "ledger|") with { ContinuationToken = token });
            sum += page.Items.Sum(e => e.GetInt64("amount") ?? 0);
            token = page.ContinuationToken;
        } while (token is not null);
        return new Result(workers, operations, seconds, balance.Balance, sum, balance.Reserved, start - settled);
    }
}

/// <summary>The local provider's gfpgan against the <c>vips</c> command-line tool on the same image.</summary>
internal static class Vips
{
    /// <summary>A 1 MP JPEG (1200x834) with edges and texture, written to <paramref name="path"/>.</summary>
    public static byte[] MakeImage(string path)
    {
        using var x = NetVips.Image.Xyz(1200, 834);
        using var bands = x.Bandsplit()[0];
        using var texture = NetVips.Image.Gaussnoise(1200, 834, sigma: 40, mean: 128);
        using var rings = ((x[0] - 600).Pow(2) + (x[1] - 417).Pow(2)).Pow(0.5).Math(NetVips.Enums.OperationMath.Sin) * 60 + 128;
        using var rgb = rings.Bandjoin(texture, bands * 0.2).Cast(NetVips.Enums.BandFormat.Uchar)
            .Copy(interpretation: NetVips.Enums.Interpretation.Srgb);
        var bytes = rgb.JpegsaveBuffer(q: 90);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    /// <summary>Median milliseconds of one gfpgan run (scale 2, version 1.4), <paramref name="parallel"/> runs at once.</summary>
    public static async Task<double> OursAsync(byte[] image, int runs, int parallel)
    {
        var provider = new LocalModelProvider(parallel);
        var request = new ModelRequest(ModelNames.Gfpgan, new Dictionary<string, byte[]> { ["image"] = image }, new GfpganParameters(2, "1.4"));
        await provider.RunAsync(request); // warm-up: libvips' first use loads its modules
        var times = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
            {
                var sw = Stopwatch.StartNew();
                await provider.RunAsync(request);
                return sw.Elapsed.TotalMilliseconds;
            }));
            times.AddRange(batch);
        }
        return Stats.Median(times);
    }

    /// <summary>
    /// Medians of ours (one call at a time) and of the CLI doing the same work, run alternately (ours, CLI, ours...)
    /// after one warm-up of each, so that a change in the machine's load falls on both alike.
    /// </summary>
    public static async Task<(double Ours, double Cli)> InterleavedAsync(byte[] image, string imagePath, string work, int runs)
    {
        var provider = new LocalModelProvider(1);
        var request = new ModelRequest(ModelNames.Gfpgan, new Dictionary<string, byte[]> { ["image"] = image }, new GfpganParameters(2, "1.4"));
        await provider.RunAsync(request); // libvips' first use loads its modules
        await CliOnceAsync(imagePath, work); // and the CLI's warms the page cache
        var ours = new List<double>();
        var cli = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            await provider.RunAsync(request);
            ours.Add(sw.Elapsed.TotalMilliseconds);
            cli.Add(await CliOnceAsync(imagePath, work));
        }
        return (Stats.Median(ours), Stats.Median(cli));
    }

    /// <summary>
    /// Milliseconds of the CLI doing the same work once: Lanczos3 resize by 2 into a .v file, then the same sharpen
    /// (sigma 1.2, m2 3.5) saved as JPEG Q90 (two processes, as the CLI needs for two operations).
    /// </summary>
    private static async Task<double> CliOnceAsync(string input, string work)
    {
        var mid = Path.Combine(work, "mid.v");
        var output = Path.Combine(work, "out.jpg");
        var sw = Stopwatch.StartNew();
        await Exec("vips", "resize", input, mid, "2", "--kernel", "lanczos3");
        await Exec("vips", "sharpen", mid, output + "[Q=90]", "--sigma", "1.2", "--m2", "3.5");
        return sw.Elapsed.TotalMilliseconds;
    }

    public static async Task<string> Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }
}

internal static class Stats
{
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);
}
