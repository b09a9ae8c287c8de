using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using Wati.Tests.Support;
using Wati.Tests.Uploads;

namespace Wati.Tests.Api;

/// <summary>
/// Issue 24 through the real host: the scan bomb refused on every route that decodes (finding 1), every
/// limit checked on the real image of a batch item (finding 3), upload quotas (finding 5) and an image
/// under a batch item's params (finding 9).
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class AbuseLimitsApiTests
{
    private static readonly byte[] Bomb = ScanBomb.Write(64, 64);

    private static MultipartFormDataContent Files(params byte[][] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var file in files) form.Add(new ByteArrayContent(file), "file", "f.jpg");
        return form;
    }

    private static async Task<(string Balance, string Reserved)> CreditsAsync(ApiClient user)
    {
        var c = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        return (c.GetProperty("balance").GetString()!, c.GetProperty("reserved").GetString()!);
    }

    private static void AssertScanRefusal(ApiResponse r, string field)
    {
        r.Expect(400, "VALIDATION_ERROR");
        var details = r.Json.GetProperty("error").GetProperty("details");
        Assert.Equal(field, details.GetProperty("field").GetString());
        Assert.Equal("too_many_scans", details.GetProperty("rule").GetString());
        Assert.Equal("100", details.GetProperty("limit").GetString()); // int64 values are strings
        Assert.Contains("more than 100 scans", r.Json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_scan_bomb_is_refused_on_uploads_and_on_model_routes_naming_the_field_and_the_rule_before_any_charge()
    {
        using var app = new WatiAppFactory();
        var (user, _) = await app.Api().NewUserAsync();

        AssertScanRefusal(await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(VipsTestImages.Photo(32, 32), Bomb)), "file");
        AssertScanRefusal(await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Bomb), ("scale", 1))), "image");
        AssertScanRefusal(await user.SendAsync(HttpMethod.Post, "/v1/replace-background",
            JobsApiTests.Form(("fg", VipsTestImages.Photo(32, 32)), ("bg", Bomb))), "bg");

        Assert.Equal(("10", "0"), await CreditsAsync(user));
        Assert.Equal(0, (await user.GetAsync("/v1/jobs")).Expect(200).Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task An_image_reference_under_a_batch_items_params_is_a_400_naming_the_field_not_a_500()
    {
        using var app = new WatiAppFactory();
        var (user, _) = await app.Api().NewUserAsync();
        var upload = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(VipsTestImages.Photo(32, 32)))).Expect(201)
            .Data.GetProperty("items")[0].GetProperty("id").GetString()!;

        // Alone under params, and beside the same field under inputs (where it was silently dropped).
        object[] items =
        [
            new { @params = new { image = upload, scale = 1 }, @ref = "misplaced" },
            new { inputs = new { image = upload }, @params = new { image = upload, scale = 1 }, @ref = "doubled" },
        ];
        foreach (var misplaced in items)
        {
            var r = (await user.PostJsonAsync("/v1/batches", new { model = "gfpgan", items = new[] { misplaced } })).Expect(400, "VALIDATION_ERROR");

            var item = r.Json.GetProperty("error").GetProperty("details").GetProperty("items")[0];
            Assert.Equal(0, item.GetProperty("index").GetInt32());
            Assert.Equal("params.image", item.GetProperty("details").GetProperty("field").GetString());
            Assert.Equal("image_in_params", item.GetProperty("details").GetProperty("rule").GetString());
            Assert.Equal(("10", "0"), await CreditsAsync(user));
        }
    }

    /// <summary>A loopback server answering every path with <paramref name="file"/>.</summary>
    private static (HttpListener Listener, string Url, CancellationTokenSource Stop) Serve(byte[] file)
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync().WaitAsync(stop.Token);
                context.Response.ContentType = "image/jpeg";
                await context.Response.OutputStream.WriteAsync(file);
                context.Response.Close();
            }
        });
        return (listener, $"http://127.0.0.1:{port}/big.jpg", stop);
    }

    [Fact]
    public async Task A_batch_item_whose_url_image_makes_an_output_over_the_limit_fails_alone_refunded_and_never_runs()
    {
        // 200x150 at scale 4 is 480,000 output pixels; the limit here is 200,000 (16 MP x 16 in the issue).
        var (listener, url, stop) = Serve(VipsTestImages.Photo(200, 150));
        using var app = new WatiAppFactory(new Dictionary<string, string?>
        {
            ["Wati:Credits:SignupBonus"] = "50",
            ["Wati:Uploads:AllowHttpUrls"] = "true",
            ["Wati:Uploads:AllowLoopbackUrls"] = "true",
            ["Wati:Batches:FeedIntervalMilliseconds"] = "50",
            ["Wati:Models:MaxOutputPixels"] = "200000",
        });
        var (user, _) = await app.Api().NewUserAsync();

        // The same call outside a batch is refused up front.
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", url), ("scale", 4)))).Expect(400, "VALIDATION_ERROR");

        var batch = (await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan",
            items = new[]
            {
                new { inputs = new { image = url }, @params = new { scale = 4 }, @ref = "too-big" },
                new { inputs = new { image = url }, @params = new { scale = 1 }, @ref = "fine" },
            },
        })).Expect(202).Data.GetProperty("id").GetString();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement view;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch did not complete in time");
            await Task.Delay(100);
            view = (await user.GetAsync($"/v1/batches/{batch}")).Expect(200).Data;
        } while (view.GetProperty("state").GetString() != "completed");

        Assert.Equal((1, 1), (view.GetProperty("counts").GetProperty("succeeded").GetInt32(), view.GetProperty("counts").GetProperty("failed").GetInt32()));
        var items = (await user.GetAsync($"/v1/batches/{batch}/items?page=1&page_size=20")).Expect(200).Data;
        var failed = items.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("ref").GetString() == "too-big");
        Assert.Contains("at most 200000 pixels", failed.GetRawText());
        Assert.False(failed.TryGetProperty("job_id", out var job) && job.ValueKind == JsonValueKind.String, "the over-limit item never became a job");
        // One credit for the item that ran; the refused one came back.
        Assert.Equal(("49", "0"), await CreditsAsync(user));

        stop.Cancel();
        listener.Close();
    }

    [Fact]
    public async Task Upload_quotas_refuse_past_the_stored_count_with_429_and_retry_after_per_user_storing_nothing_of_the_call()
    {
        var photo = VipsTestImages.Photo(40, 30);
        using var app = new WatiAppFactory(new Dictionary<string, string?> { ["Wati:Uploads:MaxStoredUploadsPerUser"] = "3" });
        var (user, _) = await app.Api().NewUserAsync();
        var (other, _) = await app.Api().NewUserAsync();

        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo, photo))).Expect(201);
        // 2 stored + 2 more is over 3: nothing of this call is stored.
        var count = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo, photo))).Expect(429, "RATE_LIMIT_EXCEEDED");
        var details = count.Json.GetProperty("error").GetProperty("details");
        Assert.Equal(("upload_quota", "2", 3), (details.GetProperty("reason").GetString(), details.GetProperty("stored_uploads").GetString(),
            details.GetProperty("max_stored_uploads").GetInt32()));
        Assert.InRange(count.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24)); // when the oldest expires
        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo))).Expect(201);
        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo))).Expect(429, "RATE_LIMIT_EXCEEDED");
        // Another user's quota is their own.
        (await other.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo, photo, photo))).Expect(201);
    }

    [Fact]
    public async Task Stored_upload_bytes_over_the_quota_are_413_with_the_usage_and_expired_or_swept_uploads_stop_counting()
    {
        var photo = VipsTestImages.Photo(40, 30);
        var stored = await StoredSizeAsync(photo);
        using var app = new WatiAppFactory(new Dictionary<string, string?>
        {
            ["Wati:Uploads:MaxStoredBytesPerUser"] = (stored * 2 + 10).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var (user, userId) = await app.Api().NewUserAsync();

        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo, photo))).Expect(201);
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo))).Expect(413, "PAYLOAD_TOO_LARGE");
        var details = r.Json.GetProperty("error").GetProperty("details");
        Assert.Equal(("upload_quota", $"{stored * 2}", $"{stored * 2 + 10}"),
            (details.GetProperty("reason").GetString(), details.GetProperty("stored_bytes").GetString(), details.GetProperty("max_stored_bytes").GetString()));

        // 25 h later (retention 24 h) the stored uploads no longer count, swept or not; once swept, the user may upload again.
        var services = app.Services;
        var later = new UploadsService(services.GetRequiredService<ITableStore>(), services.GetRequiredService<IObjectStore>(),
            services.GetRequiredService<IIdGenerator>(), new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(25)),
            services.GetRequiredService<IOptions<UploadOptions>>());
        await later.CheckQuotaAsync(userId, 2, stored * 2, CancellationToken.None);
        Assert.True(await later.SweepAsync(CancellationToken.None) >= 2);
        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo, photo))).Expect(201);
    }

    /// <summary>The bytes an upload of <paramref name="photo"/> is stored as (answered by the upload itself).</summary>
    private static async Task<long> StoredSizeAsync(byte[] photo)
    {
        using var app = new WatiAppFactory();
        var (user, _) = await app.Api().NewUserAsync();
        return (await user.SendAsync(HttpMethod.Post, "/v1/uploads", Files(photo))).Expect(201).Data.GetProperty("items")[0].GetProperty("bytes").GetString()!
            is var text ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
