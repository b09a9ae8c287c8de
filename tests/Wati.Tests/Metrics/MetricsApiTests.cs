using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wati.Platform.Data;
using Wati.Platform.Metrics;
using Wati.Platform.Models;
using Wati.Tests.Api;
using Wati.Tests.Jobs;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Metrics;

/// <summary>
/// A burst of calls and jobs through the real host, then the publisher, then <c>GET /v1/admin/metrics</c>:
/// counts, errors, durations and credits per route and model match what was done.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class MetricsApiTests(MetricsApiTests.App app) : IClassFixture<MetricsApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Metrics:BucketSeconds"] = "1", // buckets close within a second
        ["Wati:Metrics:TallySeconds"] = "1",
        ["Wati:Metrics:SettleSeconds"] = "2", // the least that leaves a tally period to spare
        ["Wati:Models:MaxRetries"] = "0",
        ["Wati:Jobs:MaxAttempts"] = "1",
    })
    {
        public FakeModelProvider Model { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.UseModel(Model));
        }
    }

    private static readonly byte[] Photo = VipsTestImages.Photo(64, 48);
    private readonly ApiClient _api = app.Api();

    private static MultipartFormDataContent Gfpgan() => JobsApiTests.Form(("image", Photo));

    [Fact]
    public async Task AfterABurstTheAdminSeesCountsErrorsDurationsAndCreditsPerRouteAndModel()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (user, _) = await _api.NewUserAsync();
        // Jobs that take a known while, and one the model rejects (failed, refunded).
        FakeModelProvider.Behavior slow = async (r, ct) =>
        {
            await Task.Delay(120, ct);
            return await FakeModelProvider.Succeed()(r, ct);
        };
        app.Model.Next(slow, slow, slow, FakeModelProvider.RejectInput("no face"));
        var jobIds = new List<string>();
        for (var i = 0; i < 3; i++)
            jobIds.Add((await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Gfpgan())).Expect(200).Data.GetProperty("job_id").GetString()!);
        var rejected = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Gfpgan())).Expect(400, "PROCESSING_ERROR");
        jobIds.Add(rejected.Json.GetProperty("error").GetProperty("details").GetProperty("job_id").GetString()!);
        (await user.GetAsync("/v1/credits")).Expect(200);
        (await user.GetAsync("/v1/credits")).Expect(200);
        (await _api.GetAsync("/v1/credits")).Expect(401);
        (await _api.GetAsync("/v1/no-such-route")).Expect(404);

        var durations = new HashSet<long>();
        foreach (var id in jobIds)
        {
            var job = (await user.GetAsync($"/v1/jobs/{id}")).Expect(200).Data;
            durations.Add((long)Math.Round((job.GetProperty("finished_at").GetDateTimeOffset() - job.GetProperty("started_at").GetDateTimeOffset()).TotalMilliseconds));
        }
        var metrics = await PublishAndReadAsync(started, "gfpgan", null);

        var model = Sum(metrics);
        Assert.Equal((4, 1, 3L), (model.Count, model.Errors, model.Credits));
        // Nearest-rank percentiles are values of the sample: each is one of the jobs' own durations.
        Assert.All(metrics, m => Assert.Contains(m.GetProperty("p50_ms").GetInt64(), durations));
        Assert.All(metrics, m => Assert.Contains(m.GetProperty("p95_ms").GetInt64(), durations));

        var submit = Sum(await ReadAsync(started, null, "Gfpgan"));
        Assert.Equal((4, 1, 3L), (submit.Count, submit.Errors, submit.Credits));
        Assert.True(submit.MaxP95 >= 120, $"a waited call lasts at least its job ({submit.MaxP95} ms)");
        var credits = Sum(await ReadAsync(started, null, "GetCredits"));
        Assert.Equal((3, 1, 0L), (credits.Count, credits.Errors, credits.Credits));
        var unmatched = Sum(await ReadAsync(started, null, "unmatched"));
        Assert.Equal((1, 1), (unmatched.Count, unmatched.Errors));

        // Publishing again changes nothing.
        var before = (await ReadAsync(started, null, null)).Select(m => m.GetRawText()).ToList();
        await app.Services.GetRequiredService<MetricsPublisher>().PublishAsync(CancellationToken.None);
        Assert.Equal(before, (await ReadAsync(started, null, null)).Take(before.Count).Select(m => m.GetRawText()).ToList());
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-01-01", "from")]
    [InlineData("to=2026-01-01T00:00:00", "to")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to")]
    [InlineData("model=dalle", "model")]
    [InlineData("route=Nope", "route")]
    [InlineData("model=gfpgan&route=Gfpgan", "route")]
    [InlineData("page_size=101", "page_size")]
    public async Task BadQueriesAreValidationErrorsNamingTheField(string query, string field)
    {
        var admin = await _api.AdminAsync();

        var r = (await admin.GetAsync("/v1/admin/metrics?" + query)).Expect(400, "VALIDATION_ERROR");

        Assert.Equal(field, r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
    }

    [Fact]
    public async Task OnlyAdminsSeeMetrics()
    {
        var (user, _) = await _api.NewUserAsync();

        (await user.GetAsync("/v1/admin/metrics")).Expect(403, "PERMISSION_DENIED");
        (await _api.GetAsync("/v1/admin/metrics")).Expect(401, "UNAUTHENTICATED");
    }

    private async Task<List<JsonElement>> PublishAndReadAsync(DateTimeOffset from, string? model, string? route)
    {
        await Task.Delay(3100); // the last bucket closes (1 s bucket, 2 s settle)
        await app.Services.GetRequiredService<UsageRecorder>().DrainAsync(CancellationToken.None);
        var report = await app.Services.GetRequiredService<MetricsPublisher>().PublishAsync(CancellationToken.None);
        Assert.True(report.Published > 0);
        return await ReadAsync(from, model, route);
    }

    private async Task<List<JsonElement>> ReadAsync(DateTimeOffset from, string? model, string? route)
    {
        var admin = await _api.AdminAsync();
        var query = $"from={Uri.EscapeDataString(from.ToString("yyyy-MM-ddTHH:mm:ssZ"))}&page_size=100" +
                    (model is null ? "" : "&model=" + model) + (route is null ? "" : "&route=" + route);
        var r = (await admin.GetAsync("/v1/admin/metrics?" + query)).Expect(200);
        Assert.True(r.Json.GetProperty("pagination").GetProperty("total").GetInt32() <= 100);
        return r.Data.GetProperty("items").EnumerateArray().ToList();
    }

    private static (int Count, int Errors, long Credits, long MaxP95) Sum(List<JsonElement> rows) => (
        rows.Sum(r => r.GetProperty("count").GetInt32()),
        rows.Sum(r => r.GetProperty("errors").GetInt32()),
        rows.Sum(r => long.Parse(r.GetProperty("credits").GetString()!)),
        rows.Count == 0 ? 0 : rows.Max(r => r.GetProperty("p95_ms").GetInt64()));
}
