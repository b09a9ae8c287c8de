using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Data;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>Batches end to end through the real host, its queue consumers and the local gfpgan (issue 12's "done when").</summary>
[Collection(LibVipsCollection.Name)]
public sealed class BatchesApiTests(BatchesApiTests.App app) : IClassFixture<BatchesApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Credits:SignupBonus"] = "500",
        ["Wati:Jobs:MaxActivePerUser"] = "4",
        ["Wati:Batches:FeedIntervalMilliseconds"] = "50",
    });

    private readonly ApiClient _api = app.Api();

    private async Task<string> UploadAsync(ApiClient user)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(VipsTestImages.Photo(48, 32)), "file", "p.jpg" } };
        return (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201).Data.GetProperty("items")[0].GetProperty("id").GetString()!;
    }

    private static object Items(string upload, int count, Func<int, object>? parameters = null) =>
        Enumerable.Range(0, count).Select(i => new { inputs = new { image = upload }, @params = parameters?.Invoke(i) ?? new { scale = 1 }, @ref = $"sku-{i}" }).ToList();

    [Fact]
    public async Task ABatchOf200CompletesWithinTheActiveLimitWithOneManifestAndExactBooks()
    {
        var (user, userId) = await _api.NewUserAsync();
        var upload = await UploadAsync(user);
        var store = app.Services.GetRequiredService<ITableStore>();
        var maxActive = 0L;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var active = (await store.GetAsync(TableNames.Users, userId, "account"))!.GetInt64("active_jobs") ?? 0;
                maxActive = Math.Max(maxActive, active);
                await Task.Delay(5);
            }
        });

        var clock = Stopwatch.StartNew();
        var submitted = (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", items = Items(upload, 200) })).Expect(202);
        var batchId = submitted.Data.GetProperty("id").GetString()!;
        Assert.EndsWith($"/v1/batches/{batchId}", submitted.Headers.Location!.ToString());
        JsonElement view;
        do
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "the batch did not complete in time");
            await Task.Delay(200);
            view = (await user.GetAsync($"/v1/batches/{batchId}")).Expect(200).Data;
        } while (view.GetProperty("state").GetString() != "completed");
        stop.Cancel();
        await sampler;

        Assert.Equal(200, view.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.Equal("200", view.GetProperty("credits_charged").GetString());
        Assert.InRange(maxActive, 1, 4);
        var manifest = (await user.GetAsync($"/v1/batches/{batchId}/manifest")).Expect(200).Data.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(200, manifest.Count);
        Assert.Equal(200, manifest.Select(m => m.GetProperty("key").GetString()).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"sku-{i}"), manifest.OrderBy(m => m.GetProperty("index").GetInt32()).Select(m => m.GetProperty("ref").GetString()));
        var first = await user.Http.GetAsync(new Uri(manifest[0].GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(System.Net.HttpStatusCode.OK, first.StatusCode);

        var page = (await user.GetAsync($"/v1/batches/{batchId}/items?page=2&page_size=50")).Expect(200);
        Assert.Equal(200, page.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(50, page.Data.GetProperty("items")[0].GetProperty("index").GetInt32());
        Assert.Equal("succeeded", page.Data.GetProperty("items")[0].GetProperty("state").GetString());

        // One reservation, no refunds; balance == ledger sum; nothing reserved any more.
        var ledger = (await user.GetAsync("/v1/credits/ledger?page_size=100")).Expect(200).Data.GetProperty("items").EnumerateArray().ToList();
        var charge = Assert.Single(ledger, l => l.GetProperty("kind").GetString() == "charge");
        Assert.Equal(("-200", batchId), (charge.GetProperty("amount").GetString(), charge.GetProperty("job_id").GetString()));
        Assert.DoesNotContain(ledger, l => l.GetProperty("kind").GetString() == "refund");
        var credits = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        Assert.Equal(("300", "0"), (credits.GetProperty("balance").GetString(), credits.GetProperty("reserved").GetString()));
        Assert.Equal(300, ledger.Sum(l => long.Parse(l.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture)));
        var listed = (await user.GetAsync("/v1/batches")).Expect(200).Data.GetProperty("items");
        Assert.Equal(batchId, listed[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task ABatchWithOneInvalidItemIsRefusedWholeNamingItAndChargesNothing()
    {
        var (user, _) = await _api.NewUserAsync();
        var upload = await UploadAsync(user);
        var r = (await user.PostJsonAsync("/v1/batches",
            new { model = "gfpgan", items = Items(upload, 5, i => i == 3 ? new { scale = 9 } : new { scale = 2 }) })).Expect(400, "VALIDATION_ERROR");
        var bad = Assert.Single(r.Json.GetProperty("error").GetProperty("details").GetProperty("items").EnumerateArray());
        Assert.Equal(3, bad.GetProperty("index").GetInt32());

        var foreign = (await user.PostJsonAsync("/v1/batches",
            new { model = "gfpgan", items = new[] { new { inputs = new { image = "upl_nosuchupload" }, @params = new { scale = 1 } } } })).Expect(400);
        Assert.Equal(0, foreign.Json.GetProperty("error").GetProperty("details").GetProperty("items")[0].GetProperty("index").GetInt32());
        (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", items = Array.Empty<object>() })).Expect(400, "VALIDATION_ERROR");
        (await user.PostJsonAsync("/v1/batches", new { model = "nope", items = Items(upload, 1) })).Expect(400, "VALIDATION_ERROR");

        Assert.Equal("500", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
        Assert.Equal(0, (await user.GetAsync("/v1/batches")).Expect(200).Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task ABatchOverTheBalanceIs402WithThePriceAndAnIdempotencyKeyReplaysTheSameBatch()
    {
        var (user, _) = await _api.NewUserAsync();
        var upload = await UploadAsync(user);
        var r = (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", items = Items(upload, 501) })).Expect(402, "INSUFFICIENT_BALANCE");
        Assert.Equal("501", r.Json.GetProperty("error").GetProperty("details").GetProperty("price").GetString());

        var body = JsonSerializer.Serialize(new { model = "gfpgan", items = Items(upload, 2) });
        async Task<ApiResponse> Post(string json) => await user.SendAsync(HttpMethod.Post, "/v1/batches",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"), m => m.Headers.Add("Idempotency-Key", "cat-7"));
        var first = (await Post(body)).Expect(202).Data.GetProperty("id").GetString();
        var again = (await Post(body)).Expect(202);
        Assert.Equal(first, again.Data.GetProperty("id").GetString());
        Assert.True(again.Json.GetProperty("meta").GetProperty("idempotent_replay").GetBoolean());
        (await Post(JsonSerializer.Serialize(new { model = "gfpgan", items = Items(upload, 3) }))).Expect(409, "ALREADY_EXISTS");
        (await user.GetAsync("/v1/batches/bat_nosuch")).Expect(404, "NOT_FOUND");
    }

    [Theory]
    [InlineData("http://example.com/hook")]
    [InlineData("https://127.1/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://169.254.169.254/latest")]
    public async Task AWebhookUrlTheGuardRefusesRefusesTheBatchAndChargesNothing(string url)
    {
        var (user, _) = await _api.NewUserAsync();
        var upload = await UploadAsync(user);
        var r = (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", webhook_url = url, items = Items(upload, 1) })).Expect(400, "VALIDATION_ERROR");
        Assert.Contains("webhook_url", r.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("500", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }
}
