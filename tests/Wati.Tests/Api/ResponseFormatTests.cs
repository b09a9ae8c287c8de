using System.Text.Json;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>
/// The four model answers carry every <c>meta</c> field of the response-format document's examples
/// (seed 002 sections 1 and 2), with its types, both when waited for and when polled or listed.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class ResponseFormatTests(ResponseFormatTests.App app) : IClassFixture<ResponseFormatTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Credits:SignupBonus"] = "100" });

    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);
    private static readonly byte[] Backdrop = VipsTestImages.Photo(400, 300);
    private readonly ApiClient _api = app.Api();

    public static TheoryData<string, string> Models => new()
    {
        { "/v1/gfpgan", "gfpgan" }, { "/v1/replace-style", "replace-style" },
        { "/v1/replace-background", "replace-background" }, { "/v1/portraits/iclight", "iclight" },
    };

    private static MultipartFormDataContent FormFor(string model) => model switch
    {
        "gfpgan" => JobsApiTests.Form(("image", Photo), ("scale", 2), ("version", "1.4")),
        "replace-style" => JobsApiTests.Form(("image", Photo), ("style", "anime")),
        "replace-background" => JobsApiTests.Form(("fg", Photo), ("bg", Backdrop)),
        _ => JobsApiTests.Form(("subject_image", Photo), ("prompt", "Beautiful portrait with natural lighting"),
            ("light_source", "Left Light"), ("steps", 25), ("cfg", 7), ("width", 512), ("height", 640), ("number_of_images", 2)),
    };

    /// <summary>The document's meta fields of <paramref name="model"/> with their JSON kinds, for an answer with <paramref name="requestId"/>.</summary>
    private static void AssertDocumentMeta(string model, JsonElement meta, string requestId)
    {
        void Kind(string name, JsonValueKind kind) =>
            Assert.True(meta.TryGetProperty(name, out var v) && v.ValueKind == kind, $"{model}: meta.{name} should be {kind}: {meta}");

        switch (model)
        {
            case "gfpgan":
                Kind("scale", JsonValueKind.Number); Kind("version", JsonValueKind.String); Kind("bytes", JsonValueKind.Number);
                Assert.Equal((2, "1.4", requestId), (meta.GetProperty("scale").GetInt32(), meta.GetProperty("version").GetString(), meta.GetProperty("requestId").GetString()));
                Assert.True(meta.GetProperty("bytes").GetInt32() > 100);
                break;
            case "replace-style":
                Assert.Equal(("anime", requestId), (meta.GetProperty("style").GetString(), meta.GetProperty("requestId").GetString()));
                Kind("bytes", JsonValueKind.Number);
                break;
            case "replace-background":
                Assert.Equal((400, 300), (meta.GetProperty("width").GetInt32(), meta.GetProperty("height").GetInt32()));
                break;
            default:
                Assert.Equal("local/iclight", meta.GetProperty("model").GetString());
                Assert.Equal(("Beautiful portrait with natural lighting", "Left Light"),
                    (meta.GetProperty("prompt").GetString(), meta.GetProperty("light_source").GetString()));
                foreach (var n in new[] { "steps", "cfg", "width", "height", "number_of_images" }) Kind(n, JsonValueKind.Number);
                Assert.Equal((25, 7.0, 512, 640, 2), (meta.GetProperty("steps").GetInt32(), meta.GetProperty("cfg").GetDouble(),
                    meta.GetProperty("width").GetInt32(), meta.GetProperty("height").GetInt32(), meta.GetProperty("number_of_images").GetInt32()));
                Kind("strategy", JsonValueKind.String);
                Assert.False(meta.TryGetProperty("replicate_prediction_id", out _), "absent when Replicate did not run it");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task AWaitedAnswerHasTheDocumentsMetaFields(string path, string model)
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, path, FormFor(model))).Expect(200);
        AssertDocumentMeta(model, r.Json.GetProperty("meta"), r.Json.GetProperty("request_id").GetString()!);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task APollAndAListItemAnswerWhatTheWaitAnswers(string path, string model)
    {
        var (user, _) = await _api.NewUserAsync();
        var accepted = (await user.SendAsync(HttpMethod.Post, path, FormFor(model), m => m.Headers.Add("Prefer", "respond-async"))).Expect(202);
        var jobId = accepted.Data.GetProperty("job_id").GetString();

        ApiResponse job;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            job = (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200);
        } while (job.Data.GetProperty("state").GetString() != "succeeded" && DateTime.UtcNow < deadline);

        var requestId = job.Json.GetProperty("request_id").GetString()!;
        AssertDocumentMeta(model, job.Json.GetProperty("meta"), requestId);
        AssertDocumentMeta(model, job.Data.GetProperty("meta"), requestId);

        var list = (await user.GetAsync("/v1/jobs")).Expect(200);
        AssertDocumentMeta(model, Assert.Single(list.Data.GetProperty("items").EnumerateArray()).GetProperty("meta"),
            list.Json.GetProperty("request_id").GetString()!);
    }

    [Fact]
    public async Task Int64RequestFieldsTakeANumberOrAStringAndMissingFieldsTakeTheirDefault()
    {
        var (user, userId) = await _api.NewUserAsync();
        var admin = await _api.AdminAsync();
        (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{userId}}","amount":"5","reason":"as a string"}""")).Expect(200);
        (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{userId}}","amount":7,"reason":"as a number"}""")).Expect(200);
        Assert.Equal("112", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());

        // amount missing: 0, which the rule refuses by name; a non-numeric string is a clean 400.
        (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{userId}}","reason":"x"}""")).Expect(400, "VALIDATION_ERROR");
        (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{userId}}","amount":"ten","reason":"x"}""")).Expect(400, "VALIDATION_ERROR");
        // name missing: "" (its default); null where a string belongs is refused, never a 500.
        (await user.PostRawAsync("/v1/api-keys", "{}")).Expect(400, "VALIDATION_ERROR");
        (await user.PostRawAsync("/v1/api-keys", """{"name":null}""")).Expect(400, "VALIDATION_ERROR");
        (await _api.PostRawAsync("/v1/auth/login", """{"email":null,"password":null}""")).Expect(400, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task LedgerEntryIdsCarryTheirTypePrefix()
    {
        var (user, _) = await _api.NewUserAsync();
        var entry = (await user.GetAsync("/v1/credits/ledger")).Expect(200).Data.GetProperty("items")[0];
        Assert.Matches("^led_[0-9a-z]+$", entry.GetProperty("id").GetString());
    }
}
