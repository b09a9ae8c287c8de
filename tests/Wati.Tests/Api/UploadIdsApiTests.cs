using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary><c>POST /v1/uploads</c> and upload ids in place of file parts (issue 12, item 1).</summary>
[Collection(LibVipsCollection.Name)]
public sealed class UploadIdsApiTests(UploadIdsApiTests.App app) : IClassFixture<UploadIdsApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Credits:SignupBonus"] = "100" });

    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);
    private readonly ApiClient _api = app.Api();

    private static async Task<string[]> UploadAsync(ApiClient user, params byte[][] images)
    {
        var form = new MultipartFormDataContent();
        foreach (var image in images) form.Add(new ByteArrayContent(image), "file", "f.jpg");
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201);
        return r.Data.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();
    }

    [Fact]
    public async Task UploadsAnswerIdsWithSizeAndTypeAndServeAsModelInputs()
    {
        var (user, _) = await _api.NewUserAsync();
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Photo), "file", "a.jpg");
        form.Add(new ByteArrayContent(VipsTestImages.Photo(64, 48, ImageFormat.Png)), "file", "b.png");
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201);
        var items = r.Data.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.StartsWith("upl_", items[0].GetProperty("id").GetString());
        Assert.Equal(("image/jpeg", 320, 240), (items[0].GetProperty("content_type").GetString(), items[0].GetProperty("width").GetInt32(),
            items[0].GetProperty("height").GetInt32()));
        Assert.Equal(("image/png", 64, 48), (items[1].GetProperty("content_type").GetString(), items[1].GetProperty("width").GetInt32(),
            items[1].GetProperty("height").GetInt32()));

        var job = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan",
            JobsApiTests.Form(("image", items[0].GetProperty("id").GetString()!), ("scale", 2)))).Expect(200);
        Assert.Equal("1", job.Json.GetProperty("meta").GetProperty("credits_charged").GetString());
        Assert.Equal(640, job.Json.GetProperty("meta").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task AnUnknownForeignOrMalformedUploadIdIsRefusedNamingTheFieldAndChargesNothing()
    {
        var (owner, _) = await _api.NewUserAsync();
        var (other, _) = await _api.NewUserAsync();
        var id = (await UploadAsync(owner, Photo))[0];

        foreach (var value in new[] { id, "upl_doesnotexist", "upl_../../x" })
        {
            var r = (await other.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", value)))).Expect(400, "VALIDATION_ERROR");
            Assert.Equal("image", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        }
        Assert.Equal("100", (await other.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task UploadsAreCheckedLikeModelInputs()
    {
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", new MultipartFormDataContent { { new StringContent("x"), "name" } }))
            .Expect(400, "MISSING_FILES");
        var form = new MultipartFormDataContent { { new ByteArrayContent("not an image at all"u8.ToArray()), "file", "a.txt" } };
        (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(415, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Fact]
    public async Task TheSweeperDeletesExpiredUploadsAndTheirIdsStopWorking()
    {
        var (user, userId) = await _api.NewUserAsync();
        var id = (await UploadAsync(user, Photo))[0];
        var services = app.Services;
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(25));
        var sweeper = new UploadsService(services.GetRequiredService<ITableStore>(), services.GetRequiredService<IObjectStore>(),
            services.GetRequiredService<IIdGenerator>(), later, services.GetRequiredService<IOptions<UploadOptions>>());

        Assert.True(await sweeper.SweepAsync(CancellationToken.None) >= 1);
        Assert.Null(await services.GetRequiredService<IObjectStore>().GetAsync($"uploads/{userId}/{id}.jpg"));
        (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", id)))).Expect(400, "VALIDATION_ERROR");
    }
}
