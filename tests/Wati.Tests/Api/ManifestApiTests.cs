using System.Net.Http.Headers;
using System.Text.Json;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

public sealed class ManifestApiTests(ManifestApiTests.App app) : IClassFixture<ManifestApiTests.App>
{
    public sealed class App() : WatiAppFactory();

    private readonly ApiClient _api = app.Api();

    private static byte[] Png(byte seed = 0) => TinyImages.Png(4, 3, seed);

    /// <summary>A category no other test uses, so counts in this fixture's shared database are exact.</summary>
    private static string FreshCategory() => "c" + Guid.NewGuid().ToString("N")[..12];

    private static MultipartFormDataContent Form(IEnumerable<(string Name, string Value)> fields, params (string Name, byte[] Bytes, string File)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        foreach (var (name, bytes, file) in files)
        {
            var part = new ByteArrayContent(bytes);
            // A deliberately wrong type: the server must go by the bytes.
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, name, file);
        }
        return form;
    }

    private static (string, string)[] PackFields(string category, string target = "gfpgan", string name = "Faces") =>
        [("name", name), ("category", category), ("target", target), ("description", "test pack")];

    private static Task<ApiResponse> CreatePackAsync(ApiClient admin, string category, string target = "gfpgan", string name = "Faces") =>
        admin.SendAsync(HttpMethod.Post, "/v1/admin/packs", Form(PackFields(category, target, name), ("cover", Png(), "c.png")));

    /// <summary>Fetches a signed URL through the test host and checks what it serves.</summary>
    private async Task AssertServesAsync(string url, string contentType, byte[] bytes)
    {
        var response = await _api.Http.GetAsync(new Uri(url).PathAndQuery);
        Assert.True(response.IsSuccessStatusCode, $"download of {url} answered {(int)response.StatusCode}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AdminCreatesAPackWhoseFilesDownloadExactlyAsUploaded()
    {
        var admin = await _api.AdminAsync();
        var cover = Png(7);
        var asset1 = Png(99);
        var form = Form(PackFields(FreshCategory(), "replace-style", "Oil paintings"),
            ("cover", cover, "cover.bin"), ("assets", TinyImages.Jpeg3x2, "a.jpg"), ("assets", asset1, "b.png"));

        var r = (await admin.SendAsync(HttpMethod.Post, "/v1/admin/packs", form)).Expect(201);
        var pack = r.Data;
        var id = pack.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/manifest/{id}", r.Headers.Location!.AbsolutePath);
        Assert.Equal("Oil paintings", pack.GetProperty("name").GetString());
        Assert.Equal("replace-style", pack.GetProperty("target").GetString());
        Assert.Equal("test pack", pack.GetProperty("description").GetString());
        Assert.Equal(2, pack.GetProperty("asset_count").GetInt32());
        Assert.Equal(JsonValueKind.Number, pack.GetProperty("asset_count").ValueKind);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$", pack.GetProperty("created_at").GetString());

        var c = pack.GetProperty("cover");
        Assert.Equal($"manifest/{id}/cover.png", c.GetProperty("key").GetString());
        Assert.Equal((4, 3), (c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32()));
        Assert.Equal(3600, c.GetProperty("expires_in").GetInt32());
        await AssertServesAsync(c.GetProperty("url").GetString()!, "image/png", cover);

        var assets = pack.GetProperty("assets");
        Assert.Equal(2, assets.GetArrayLength());
        Assert.Equal(0, assets[0].GetProperty("index").GetInt32());
        Assert.Equal($"manifest/{id}/assets/0.jpg", assets[0].GetProperty("key").GetString());
        Assert.Equal((3, 2), (assets[0].GetProperty("width").GetInt32(), assets[0].GetProperty("height").GetInt32()));
        await AssertServesAsync(assets[0].GetProperty("url").GetString()!, "image/jpeg", TinyImages.Jpeg3x2);
        Assert.Equal($"manifest/{id}/assets/1.png", assets[1].GetProperty("key").GetString());
        await AssertServesAsync(assets[1].GetProperty("url").GetString()!, "image/png", asset1);

        var got = (await _api.GetAsync($"/v1/manifest/{id}")).Expect(200).Data;
        Assert.Equal(pack.GetProperty("cover").GetProperty("key").GetString(), got.GetProperty("cover").GetProperty("key").GetString());
        Assert.Equal(2, got.GetProperty("asset_count").GetInt32());
        await AssertServesAsync(got.GetProperty("assets")[0].GetProperty("url").GetString()!, "image/jpeg", TinyImages.Jpeg3x2);
    }

    [Fact]
    public async Task ListingIsPaginatedNewestFirstAndFiltersByCategoryAndTarget()
    {
        var admin = await _api.AdminAsync();
        var category = FreshCategory();
        (await CreatePackAsync(admin, category, "gfpgan", "first")).Expect(201);
        (await CreatePackAsync(admin, category, "iclight", "second")).Expect(201);
        (await CreatePackAsync(admin, category, "gfpgan", "third")).Expect(201);

        var page1 = (await _api.GetAsync($"/v1/manifest?category={category}&page_size=2")).Expect(200);
        var p = page1.Json.GetProperty("pagination");
        Assert.Equal((3, 1, 2, 2), (p.GetProperty("total").GetInt32(), p.GetProperty("page").GetInt32(),
            p.GetProperty("page_size").GetInt32(), p.GetProperty("total_pages").GetInt32()));
        Assert.Equal(["third", "second"], Names(page1));
        var page2 = (await _api.GetAsync($"/v1/manifest?category={category}&page=2&page_size=2")).Expect(200);
        Assert.Equal(["first"], Names(page2));
        Assert.Equal(0, (await _api.GetAsync($"/v1/manifest?category={category}&page=3&page_size=2")).Expect(200)
            .Data.GetProperty("items").GetArrayLength());

        var gfpgan = (await _api.GetAsync($"/v1/manifest?category={category}&target=gfpgan")).Expect(200);
        Assert.Equal(["third", "first"], Names(gfpgan));
        Assert.Equal(2, gfpgan.Json.GetProperty("pagination").GetProperty("total").GetInt32());

        var iclight = (await _api.GetAsync("/v1/manifest?target=iclight&page_size=100")).Expect(200);
        Assert.Contains("second", Names(iclight));
        Assert.All(iclight.Data.GetProperty("items").EnumerateArray(), i => Assert.Equal("iclight", i.GetProperty("target").GetString()));

        var all = (await _api.GetAsync("/v1/manifest")).Expect(200);
        Assert.True(all.Json.GetProperty("pagination").GetProperty("total").GetInt32() >= 3);
        Assert.Equal(0, (await _api.GetAsync("/v1/manifest?category=no-such-category")).Expect(200)
            .Json.GetProperty("pagination").GetProperty("total").GetInt32());
        (await _api.GetAsync("/v1/manifest?page_size=101")).Expect(400, "VALIDATION_ERROR");
    }

    private static List<string> Names(ApiResponse r) =>
        r.Data.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();

    [Theory]
    [InlineData("pck_00000000000000000000000000")]
    [InlineData("nothing")]
    [InlineData("pck_a%23b")]
    public async Task UnknownPackIs404(string id)
    {
        (await _api.GetAsync($"/v1/manifest/{id}")).Expect(404, "NOT_FOUND");
        (await (await _api.AdminAsync()).DeleteAsync($"/v1/admin/packs/{id}")).Expect(404, "NOT_FOUND");
    }

    [Fact]
    public async Task DeletingAPackRemovesItsRowAndFiles()
    {
        var admin = await _api.AdminAsync();
        var category = FreshCategory();
        var form = Form(PackFields(category), ("cover", Png(), "c.png"), ("assets", Png(1), "a.png"));
        var pack = (await admin.SendAsync(HttpMethod.Post, "/v1/admin/packs", form)).Expect(201).Data;
        var id = pack.GetProperty("id").GetString()!;
        var urls = new[] { pack.GetProperty("cover").GetProperty("url").GetString()!, pack.GetProperty("assets")[0].GetProperty("url").GetString()! };

        var deleted = (await admin.DeleteAsync($"/v1/admin/packs/{id}")).Expect(200).Data;
        Assert.Equal(id, deleted.GetProperty("id").GetString());
        Assert.True(deleted.GetProperty("deleted").GetBoolean());

        (await _api.GetAsync($"/v1/manifest/{id}")).Expect(404, "NOT_FOUND");
        foreach (var url in urls) (await _api.GetAsync(new Uri(url).PathAndQuery)).Expect(404, "NOT_FOUND");
        Assert.Equal(0, (await _api.GetAsync($"/v1/manifest?category={category}")).Expect(200)
            .Json.GetProperty("pagination").GetProperty("total").GetInt32());
        (await admin.DeleteAsync($"/v1/admin/packs/{id}")).Expect(404, "NOT_FOUND");
        var folder = Path.Combine(app.DataDir, "files", "manifest", id);
        Assert.True(!Directory.Exists(folder) || !Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task OnlyAdminsCurateTheCatalogue()
    {
        var (user, _) = await _api.NewUserAsync();
        var category = FreshCategory();
        (await CreatePackAsync(user, category)).Expect(403, "PERMISSION_DENIED");
        (await CreatePackAsync(_api, category)).Expect(401, "UNAUTHENTICATED");
        (await user.DeleteAsync("/v1/admin/packs/pck_x")).Expect(403, "PERMISSION_DENIED");
        (await user.SendAsync(HttpMethod.Post, "/v1/admin/portraits", Form([("name", "x")], ("image", Png(), "p.png"))))
            .Expect(403, "PERMISSION_DENIED");
        (await _api.SendAsync(HttpMethod.Post, "/v1/admin/portraits", Form([("name", "x")], ("image", Png(), "p.png"))))
            .Expect(401, "UNAUTHENTICATED");
        (await _api.DeleteAsync("/v1/admin/portraits/prt_x")).Expect(401, "UNAUTHENTICATED");
        Assert.Equal(0, (await _api.GetAsync($"/v1/manifest?category={category}")).Expect(200)
            .Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    public static TheoryData<string, string, int, string> BadPackForms => new()
    {
        // field to change, its value ("-" removes it), expected status and code
        { "cover", "-", 400, "MISSING_FILES" },
        { "cover", "text", 415, "UNSUPPORTED_MEDIA_TYPE" },
        { "assets", "text", 415, "UNSUPPORTED_MEDIA_TYPE" },
        { "assets", "21", 400, "VALIDATION_ERROR" },
        { "category", "Upper", 400, "VALIDATION_ERROR" },
        { "category", "has space", 400, "VALIDATION_ERROR" },
        { "category", "-edge", 400, "VALIDATION_ERROR" },
        { "category", "-", 400, "VALIDATION_ERROR" },
        { "category", new string('a', 51), 400, "VALIDATION_ERROR" },
        { "target", "replace_style", 400, "VALIDATION_ERROR" },
        { "name", "-", 400, "VALIDATION_ERROR" },
        { "name", new string('n', 101), 400, "VALIDATION_ERROR" },
        { "description", new string('d', 1001), 400, "VALIDATION_ERROR" },
    };

    [Theory]
    [MemberData(nameof(BadPackForms))]
    public async Task BadPackFormsAreRefusedWithNothingStored(string field, string value, int status, string code)
    {
        var admin = await _api.AdminAsync();
        var category = FreshCategory();
        var fields = PackFields(category).Where(f => f.Item1 != field).ToList();
        if (field is "category" or "target" or "name" or "description" && value != "-") fields.Add((field, value));
        var files = new List<(string, byte[], string)>();
        if (field != "cover") files.Add(("cover", Png(), "c.png"));
        if (field == "cover" && value == "text") files.Add(("cover", "not an image"u8.ToArray(), "c.png"));
        if (field == "assets" && value == "text") files.AddRange([("assets", Png(), "a.png"), ("assets", "GIF89a"u8.ToArray(), "b.gif")]);
        if (field == "assets" && value == "21") files.AddRange(Enumerable.Range(0, 21).Select(i => ("assets", Png((byte)i), $"{i}.png")));

        (await admin.SendAsync(HttpMethod.Post, "/v1/admin/packs", Form(fields, [.. files]))).Expect(status, code);
        Assert.Equal(0, (await _api.GetAsync($"/v1/manifest?category={category}")).Expect(200)
            .Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task APackMustBeSentAsMultipart()
    {
        var admin = await _api.AdminAsync();
        (await admin.PostJsonAsync("/v1/admin/packs", new { name = "x", category = "a", target = "b" })).Expect(415, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Fact]
    public async Task PortraitsAreCreatedListedNewestFirstAndDeleted()
    {
        var admin = await _api.AdminAsync();
        var face = Png(42);
        var first = (await admin.SendAsync(HttpMethod.Post, "/v1/admin/portraits",
            Form([("name", "Ada"), ("tags", " studio , Smile,, smile ,warm ")], ("image", face, "ada.png")))).Expect(201).Data;
        var id = first.GetProperty("id").GetString()!;
        Assert.Equal(["studio", "Smile", "warm"], first.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!));
        var image = first.GetProperty("image");
        Assert.Equal($"portraits/public/{id}.png", image.GetProperty("key").GetString());
        Assert.Equal((4, 3), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        await AssertServesAsync(image.GetProperty("url").GetString()!, "image/png", face);

        var second = (await admin.SendAsync(HttpMethod.Post, "/v1/admin/portraits",
            Form([("name", "Grace")], ("image", TinyImages.Jpeg3x2, "g.jpg")))).Expect(201).Data;
        Assert.Equal(0, second.GetProperty("tags").GetArrayLength());
        Assert.EndsWith(".jpg", second.GetProperty("image").GetProperty("key").GetString());

        foreach (var (fields, status, code) in new (IEnumerable<(string, string)>, int, string)[]
        {
            ([("name", "x"), ("tags", string.Join(',', Enumerable.Range(0, 11).Select(i => $"t{i}")))], 400, "VALIDATION_ERROR"),
            ([("name", "x"), ("tags", new string('t', 31))], 400, "VALIDATION_ERROR"),
            ([("tags", "a")], 400, "VALIDATION_ERROR"),
        })
            (await admin.SendAsync(HttpMethod.Post, "/v1/admin/portraits", Form(fields, ("image", face, "p.png")))).Expect(status, code);
        (await admin.SendAsync(HttpMethod.Post, "/v1/admin/portraits", Form([("name", "x")]))).Expect(400, "MISSING_FILES");
        (await admin.SendAsync(HttpMethod.Post, "/v1/admin/portraits", Form([("name", "x")], ("image", "<svg/>"u8.ToArray(), "p.png"))))
            .Expect(415, "UNSUPPORTED_MEDIA_TYPE");

        var list = (await _api.GetAsync("/v1/portraits?page_size=1")).Expect(200);
        var p = list.Json.GetProperty("pagination");
        Assert.Equal((2, 1, 1, 2), (p.GetProperty("total").GetInt32(), p.GetProperty("page").GetInt32(),
            p.GetProperty("page_size").GetInt32(), p.GetProperty("total_pages").GetInt32()));
        Assert.Equal("Grace", list.Data.GetProperty("items")[0].GetProperty("name").GetString());
        Assert.Equal("Ada", (await _api.GetAsync("/v1/portraits?page=2&page_size=1")).Expect(200)
            .Data.GetProperty("items")[0].GetProperty("name").GetString());

        (await admin.DeleteAsync($"/v1/admin/portraits/{id}")).Expect(200);
        (await _api.GetAsync(new Uri(image.GetProperty("url").GetString()!).PathAndQuery)).Expect(404, "NOT_FOUND");
        (await admin.DeleteAsync($"/v1/admin/portraits/{id}")).Expect(404, "NOT_FOUND");
        var after = (await _api.GetAsync("/v1/portraits")).Expect(200);
        Assert.Equal(1, after.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal("Grace", after.Data.GetProperty("items")[0].GetProperty("name").GetString());
    }
}
