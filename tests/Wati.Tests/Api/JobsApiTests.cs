using System.Net.Http.Headers;
using System.Text.Json;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>The four models end to end through the real host, its queue workers and the local provider.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class JobsApiTests(JobsApiTests.App app) : IClassFixture<JobsApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Credits:SignupBonus"] = "100" });

    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);
    private static readonly byte[] Backdrop = VipsTestImages.Photo(400, 300);
    private readonly ApiClient _api = app.Api();

    internal static MultipartFormDataContent Form(params (string Name, object Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            if (value is byte[] bytes)
            {
                var part = new ByteArrayContent(bytes);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(part, name, name + ".bin");
            }
            else form.Add(new StringContent(value.ToString()!), name);
        }
        return form;
    }

    private async Task<ImageInfo> DownloadAsync(string url)
    {
        var response = await _api.Http.GetAsync(new Uri(url).PathAndQuery);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return ImageProbe.TryProbe(await response.Content.ReadAsByteArrayAsync()) ?? throw new Xunit.Sdk.XunitException("not an image");
    }

    private async Task<string> BalanceAsync(ApiClient user) =>
        (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString()!;

    [Theory]
    [InlineData(1, 320, 240)]
    [InlineData(2, 640, 480)]
    [InlineData(3, 960, 720)]
    public async Task GfpganUpscalesByScaleAndChargesOneCredit(int scale, int width, int height)
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", scale), ("version", "1.3")))).Expect(200);

        Assert.Equal($"gfpgan/s{scale}-v1.3/{r.Data.GetProperty("job_id").GetString()}.jpg", r.Data.GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Number, r.Data.GetProperty("expires_in").ValueKind);
        Assert.Equal("1", r.Json.GetProperty("meta").GetProperty("credits_charged").GetString());
        Assert.Equal("1", r.Headers.GetValues("X-Credits-Charged").Single());
        var image = await DownloadAsync(r.Data.GetProperty("url").GetString()!);
        Assert.Equal((ImageFormat.Jpeg, width, height), (image.Format, image.Width, image.Height));
        Assert.Equal("99", await BalanceAsync(user));
    }

    [Fact]
    public async Task StyleKeepsTheSizeAndUsesTheStyleKey()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/replace-style", Form(("image", Photo), ("style", "sketch")))).Expect(200);

        Assert.StartsWith("styles/sketch/", r.Data.GetProperty("key").GetString());
        var image = await DownloadAsync(r.Data.GetProperty("url").GetString()!);
        Assert.Equal((320, 240), (image.Width, image.Height));
        Assert.Equal("98", await BalanceAsync(user));
        (await user.SendAsync(HttpMethod.Post, "/v1/replace-style", Form(("image", Photo), ("style", "cubism")))).Expect(400, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task BackgroundAnswersThePngAtTheBackdropSizeAndNeedsBothFiles()
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/replace-background", Form(("fg", Photo)))).Expect(400, "MISSING_FILES");

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/replace-background", Form(("fg", Photo), ("bg", Backdrop)))).Expect(200);
        Assert.Matches("^replace-bg/job_[a-z0-9]+\\.png$", r.Data.GetProperty("key").GetString());
        Assert.Equal(400, r.Json.GetProperty("meta").GetProperty("width").GetInt32());
        Assert.Equal(300, r.Json.GetProperty("meta").GetProperty("height").GetInt32());
        var image = await DownloadAsync(r.Data.GetProperty("url").GetString()!);
        Assert.Equal((ImageFormat.Png, 400, 300), (image.Format, image.Width, image.Height));
        Assert.Equal("98", await BalanceAsync(user));
    }

    [Fact]
    public async Task IcLightAnswersEveryImageAtTheAskedSizeAndChargesPerImage()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/portraits/iclight", Form(("subject_image", Photo), ("prompt", "soft window light"),
            ("light_source", "Left Light"), ("width", 512), ("height", 640), ("number_of_images", 3), ("output_format", "png")))).Expect(200);

        var outputs = r.Data.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], outputs.Select(o => o.GetProperty("index").GetInt32()));
        foreach (var o in outputs)
        {
            Assert.EndsWith($"-{o.GetProperty("index").GetInt32()}.png", o.GetProperty("key").GetString());
            var image = await DownloadAsync(o.GetProperty("url").GetString()!);
            Assert.Equal((ImageFormat.Png, 512, 640), (image.Format, image.Width, image.Height));
        }
        Assert.Equal("9", r.Json.GetProperty("meta").GetProperty("credits_charged").GetString());
        Assert.Equal("91", await BalanceAsync(user));
    }

    [Theory]
    [InlineData("width", "300")]
    [InlineData("height", "2048")]
    [InlineData("number_of_images", "13")]
    [InlineData("steps", "0")]
    [InlineData("cfg", "40")]
    [InlineData("light_source", "Side Light")]
    [InlineData("output_format", "gif")]
    public async Task IcLightRefusesOutOfRangeParametersWithoutCharging(string field, string value)
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/portraits/iclight", Form(("subject_image", Photo), ("prompt", "x"), (field, value))))
            .Expect(400, "VALIDATION_ERROR");
        (await user.SendAsync(HttpMethod.Post, "/v1/portraits/iclight", Form(("subject_image", Photo)))).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("100", await BalanceAsync(user));
    }

    [Fact]
    public async Task AsyncSubmitAnswers202WithLocationAndThePollShowsFreshUrls()
    {
        var (user, _) = await _api.NewUserAsync();
        var accepted = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 1)),
            m => m.Headers.Add("Prefer", "respond-async"))).Expect(202);
        var jobId = accepted.Data.GetProperty("job_id").GetString()!;
        Assert.Equal("queued", accepted.Data.GetProperty("state").GetString());
        Assert.EndsWith($"/v1/jobs/{jobId}", accepted.Headers.Location!.ToString());
        Assert.Equal("1", accepted.Json.GetProperty("meta").GetProperty("credits_charged").GetString());

        ApiResponse job;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            job = (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200);
        } while (job.Data.GetProperty("state").GetString() != "succeeded" && DateTime.UtcNow < deadline);

        Assert.Equal("succeeded", job.Data.GetProperty("state").GetString());
        Assert.Equal(1, job.Data.GetProperty("params").GetProperty("scale").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, job.Data.GetProperty("finished_at").ValueKind);
        Assert.Equal(320, (await DownloadAsync(job.Data.GetProperty("url").GetString()!)).Width);
    }

    [Fact]
    public async Task ASyncWaitThatRunsOutAnswers408NamingTheJobWhichGoesOn()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo)), m => m.Headers.Add("Prefer", "wait=0"))).Expect(408, "TIMEOUT_ERROR");
        var jobId = r.Json.GetProperty("error").GetProperty("details").GetProperty("job_id").GetString();

        var waited = (await user.SendAsync(HttpMethod.Get, $"/v1/jobs/{jobId}")).Expect(200);
        Assert.Equal(jobId, waited.Data.GetProperty("job_id").GetString());
        Assert.Equal("1", r.Headers.GetValues("X-Credits-Charged").Single());
    }

    [Fact]
    public async Task IdempotencyKeyReplaysTheFirstJobAndRefusesADifferentBody()
    {
        var (user, _) = await _api.NewUserAsync();
        void Key(HttpRequestMessage m) => m.Headers.Add("Idempotency-Key", "order-42");

        var first = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 2)), Key)).Expect(200);
        var again = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 2)), Key)).Expect(200);
        Assert.Equal(first.Data.GetProperty("job_id").GetString(), again.Data.GetProperty("job_id").GetString());
        Assert.True(again.Json.GetProperty("meta").GetProperty("idempotent_replay").GetBoolean());

        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 3)), Key)).Expect(409, "ALREADY_EXISTS");
        Assert.Equal("99", await BalanceAsync(user));
    }

    [Fact]
    public async Task RunningOutOfCreditsIs402AndChargesNothing()
    {
        var (user, _) = await _api.NewUserAsync();
        var admin = await _api.AdminAsync();
        var me = (await user.GetAsync("/v1/users/me")).Expect(200).Data.GetProperty("id").GetString();
        (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = me, amount = -98, reason = "test" })).Expect(200);

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/portraits/iclight", Form(("subject_image", Photo), ("prompt", "x"))))
            .Expect(402, "INSUFFICIENT_BALANCE");
        Assert.Equal("3", r.Json.GetProperty("error").GetProperty("details").GetProperty("price").GetString());
        Assert.Equal("2", await BalanceAsync(user));
        Assert.Equal(0, (await user.GetAsync("/v1/jobs")).Expect(200).Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task UploadsAreRecognisedByTheirBytes()
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", "not an image"u8.ToArray())))).Expect(415, "UNSUPPORTED_MEDIA_TYPE");
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("scale", 2)))).Expect(400, "MISSING_FILES");
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 9)))).Expect(400, "VALIDATION_ERROR");
        (await user.PostJsonAsync("/v1/gfpgan", new { image = "x" })).Expect(415, "UNSUPPORTED_MEDIA_TYPE");
        (await _api.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo)))).Expect(401, "UNAUTHENTICATED");
        Assert.Equal("100", await BalanceAsync(user));
    }

    [Fact]
    public async Task DeletingAFinishedJobRemovesItsFilesAndOthersCannotSeeIt()
    {
        var (user, _) = await _api.NewUserAsync();
        var (stranger, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 1)))).Expect(200);
        var jobId = r.Data.GetProperty("job_id").GetString();
        var url = new Uri(r.Data.GetProperty("url").GetString()!).PathAndQuery;

        (await stranger.GetAsync($"/v1/jobs/{jobId}")).Expect(404, "NOT_FOUND");
        (await stranger.DeleteAsync($"/v1/jobs/{jobId}")).Expect(404, "NOT_FOUND");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _api.Http.GetAsync(url)).StatusCode);

        (await user.DeleteAsync($"/v1/jobs/{jobId}")).Expect(200);
        var gone = await _api.Http.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("99", await BalanceAsync(user));
    }

    [Fact]
    public async Task JobListIsNewestFirstFilteredAndPaginated()
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 1)))).Expect(200);
        var style = (await user.SendAsync(HttpMethod.Post, "/v1/replace-style", Form(("image", Photo), ("style", "noir")))).Expect(200);

        var all = (await user.GetAsync("/v1/jobs?page_size=1")).Expect(200);
        Assert.Equal(2, all.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(2, all.Json.GetProperty("pagination").GetProperty("total_pages").GetInt32());
        Assert.Equal(style.Data.GetProperty("job_id").GetString(), all.Data.GetProperty("items")[0].GetProperty("job_id").GetString());

        var gfpgan = (await user.GetAsync("/v1/jobs?model=gfpgan&state=succeeded")).Expect(200);
        Assert.Equal("gfpgan", Assert.Single(gfpgan.Data.GetProperty("items").EnumerateArray()).GetProperty("model").GetString());
        (await user.GetAsync("/v1/jobs?state=sleeping")).Expect(400, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task AfterAModelRunTheProcessStillHasOneSqlite()
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 1)))).Expect(200);

        // docs/decisions/0003: a bundled SQLite beside libvips' global libsqlite3 crashes the process.
        var maps = await File.ReadAllTextAsync("/proc/self/maps");
        Assert.DoesNotContain("e_sqlite3", maps);
        Assert.Equal("99", await BalanceAsync(user));
    }

    [Fact]
    public async Task SignedFileLinksRefuseTamperingAndPathTricks()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Photo), ("scale", 1)))).Expect(200);
        var url = new Uri(r.Data.GetProperty("url").GetString()!).PathAndQuery;

        (await _api.GetAsync(url.Replace("sig=", "sig=x"))).Expect(403, "PERMISSION_DENIED");
        (await _api.GetAsync(url.Split('?')[0])).Expect(403, "PERMISSION_DENIED");
        (await _api.GetAsync("/files/../tables.db?exp=9999999999&sig=abc")).Expect(404, "NOT_FOUND");
        (await _api.GetAsync("/files/a/%2e%2e/%2e%2e/tables.db?exp=9999999999&sig=abc")).Expect(404, "NOT_FOUND");
        (await _api.GetAsync("/files/a%2f..%2f..%2ftables.db?exp=9999999999&sig=abc")).Expect(403, "PERMISSION_DENIED");
    }
}
