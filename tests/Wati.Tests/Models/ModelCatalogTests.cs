using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wati.Platform.Http;
using Wati.Platform.Models;
using Wati.Platform.Models.Catalog;
using Wati.Tests.Api;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>The catalogue itself (issue 18, item 1): one declaration per model gives the form, the OpenAPI fields and the JSON Schema.</summary>
public sealed class ModelCatalogTests
{
    public static TheoryData<string> CodeModels() => [.. ModelCatalog.Code.Select(m => m.Name)];

    /// <summary>Every declared input's OpenAPI form field and JSON Schema property say the same limits, default and values.</summary>
    [Theory]
    [MemberData(nameof(CodeModels))]
    public void A_definitions_schema_writes_form_fields_and_json_schema_that_agree(string name)
    {
        var model = ModelCatalog.CodeOnly.Get(name);
        var fields = model.Schema.FormFields();
        // As a client reads it: parsed from the JSON text.
        var schema = JsonNode.Parse(model.Schema.JsonSchema().ToJsonString())!.AsObject();
        var properties = schema["properties"]!.AsObject();

        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.Equal(fields.Select(f => f.Name), properties.Select(p => p.Key));
        Assert.Equal(fields.Where(f => f.Required).Select(f => f.Name).Order(),
            schema["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        foreach (var field in fields)
        {
            var property = properties[field.Name]!.AsObject();
            Assert.Equal(field.Kind switch { FieldKind.Integer => "integer", FieldKind.Number => "number", _ => "string" },
                property["type"]!.GetValue<string>());
            Assert.Equal(field.Min, property["minimum"]?.GetValue<double>());
            Assert.Equal(field.Max, property["maximum"]?.GetValue<double>());
            Assert.Equal(field.MultipleOf, property["multipleOf"]?.GetValue<double>());
            Assert.Equal(field.MaxLength, property["maxLength"]?.GetValue<int>());
            Assert.Equal(field.Enum, property["enum"]?.AsArray().Select(v => v!.GetValue<string>()).ToList());
            Assert.Equal(field.Default is null ? null : Convert.ToString(field.Default, CultureInfo.InvariantCulture), property["default"]?.ToJsonString().Trim('"'));
            Assert.Equal(field.Kind == FieldKind.File ? "binary" : null, property["format"]?.GetValue<string>());
        }
    }

    [Fact]
    public void Gfpgans_declaration_is_the_routes_documented_form()
    {
        var scale = ModelCatalog.CodeOnly.Get("gfpgan").Schema.JsonSchema()["properties"]!["scale"]!;

        Assert.Equal(("integer", "1", "4", "2"), (scale["type"]!.GetValue<string>(), scale["minimum"]!.ToJsonString(),
            scale["maximum"]!.ToJsonString(), scale["default"]!.ToJsonString()));
        var route = RouteTable.Get("Gfpgan");
        Assert.Equal(("POST", "v1/gfpgan"), (route.Method, route.Template));
        Assert.Equal(ModelCatalog.CodeOnly.Get("gfpgan").Schema.FormFields(), route.Doc!.Form);
    }

    [Fact]
    public void The_consumed_model_queues_are_each_code_models_and_the_shared_one()
    {
        Assert.Equal(["jobs-gfpgan", "jobs-replace-style", "jobs-replace-background", "jobs-iclight", "jobs-portrait-video", ModelCatalog.SharedQueue],
            ModelCatalog.Queues);
        Assert.Equal(ModelCatalog.SharedQueue, Wati.Platform.Jobs.JobSpecs.QueueOf("from-settings"));
    }

    [Fact]
    public void A_model_added_at_start_joins_the_catalogue_and_a_name_or_route_used_twice_is_refused()
    {
        var catalog = new ModelCatalog([new Declared("upscale-x", "v1/models/upscale-x")]);

        Assert.Equal(["gfpgan", "replace-style", "replace-background", "iclight", "portrait-video", "upscale-x"], catalog.Names);
        Assert.Equal("v1/models/upscale-x", catalog.Get("upscale-x").Route);
        Assert.Contains("upscale-x", Assert.Throws<ArgumentException>(() => new ModelCatalog([new Declared("upscale-x", "a"), new Declared("upscale-x", "b")])).Message);
        Assert.Contains("v1/gfpgan", Assert.Throws<ArgumentException>(() => new ModelCatalog([new Declared("other", "v1/gfpgan")])).Message);
    }

    [Fact]
    public void A_declared_value_out_of_its_range_or_an_inconsistent_declaration_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ModelSchema([new ModelInput("n", InputKind.Integer, "n") { Min = 5, Max = 1 }]));
        Assert.Throws<ArgumentException>(() => new ModelSchema([new ModelInput("e", InputKind.Enum, "e")]));
        Assert.Throws<ArgumentException>(() => new ModelSchema([new ModelInput("a", InputKind.Text, "a"), new ModelInput("a", InputKind.Text, "b")]));
    }

    [Fact]
    public void A_price_per_second_counts_the_duration_input_whether_read_from_the_form_or_from_the_stored_params()
    {
        var model = new Declared("clip", "v1/models/clip", new ModelPrice(2, PricePer.Second));
        var fromForm = new ModelValues(new JsonObject { ["duration_seconds"] = 5 });
        var stored = model.FromJson(model.ToJson(fromForm));

        Assert.Equal((5L, 5L), (model.Units(fromForm), model.Units(stored)));
        Assert.Equal("{\"duration_seconds\":5}", model.ToJson(stored).GetRawText());
    }

    /// <summary>A definition as settings would build one: its values kept as a bag, on the generic route.</summary>
    private sealed class Declared(string name, string route, ModelPrice? price = null) : ModelDefinition
    {
        public override string Name => name;
        public override string Route => route;
        public override string Queue => ModelCatalog.SharedQueue;
        public override string Description => "declared";
        public override IReadOnlyList<ModelInput> Inputs { get; } = [new("image", InputKind.Image, "The image")];
        public override OutputKind OutputKind => OutputKind.Image;
        public override ModelPrice Price { get; } = price ?? new(1, PricePer.Call);
        public override ModelParameters Bind(ModelValues values) => values;
        public override ModelParameters FromJson(JsonElement json) => new ModelValues(JsonNode.Parse(json.GetRawText())!.AsObject());
        public override IReadOnlyList<ModelOutput> RunLocal(ModelParameters parameters, Wati.Platform.Models.Local.LocalInputs inputs,
            Wati.Platform.Models.Local.LocalRun run) => throw new NotSupportedException();
    }
}

/// <summary>
/// The catalogue over HTTP (issue 18, item 2): <c>GET /v1/models</c>, <c>GET /v1/models/{name}</c>, and any
/// model called at <c>POST /v1/models/{name}</c> exactly as at its own route.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class ModelCatalogApiTests(ModelCatalogApiTests.App app) : IClassFixture<ModelCatalogApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Credits:SignupBonus"] = "100",
        ["Wati:Credits:Prices:replace-style"] = "5",
    });

    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);
    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task The_list_has_the_code_models_with_their_schemas_routes_and_configured_prices()
    {
        var r = (await _api.GetAsync("/v1/models")).Expect(200);
        var items = r.Data.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);

        Assert.Equal(["gfpgan", "replace-style", "replace-background", "iclight", "portrait-video"], items.Keys);
        Assert.Equal(5, r.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(("/v1/gfpgan", "/v1/portraits/iclight"), (items["gfpgan"].GetProperty("route").GetString(), items["iclight"].GetProperty("route").GetString()));
        var scale = items["gfpgan"].GetProperty("input_schema").GetProperty("properties").GetProperty("scale");
        Assert.Equal((1, 4, 2), (scale.GetProperty("minimum").GetInt32(), scale.GetProperty("maximum").GetInt32(), scale.GetProperty("default").GetInt32()));
        Assert.Equal(["image"], items["gfpgan"].GetProperty("input_schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("binary", items["gfpgan"].GetProperty("input_schema").GetProperty("properties").GetProperty("image").GetProperty("format").GetString());
        Assert.Equal(("images", "3", "output"), (items["iclight"].GetProperty("output_kind").GetString(),
            items["iclight"].GetProperty("price").GetProperty("credits").GetString(), items["iclight"].GetProperty("price").GetProperty("per").GetString()));
        Assert.Equal(("image", "5", "call"), (items["replace-style"].GetProperty("output_kind").GetString(),
            items["replace-style"].GetProperty("price").GetProperty("credits").GetString(), items["replace-style"].GetProperty("price").GetProperty("per").GetString()));
        Assert.Equal(Wati.Platform.Models.Styles.All, items["replace-style"].GetProperty("input_schema").GetProperty("properties").GetProperty("style")
            .GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));

        var page2 = (await _api.GetAsync("/v1/models?page=2&page_size=3")).Expect(200);
        Assert.Equal(["iclight", "portrait-video"], page2.Data.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task One_model_is_described_by_name_and_an_unknown_name_is_404()
    {
        var r = (await _api.GetAsync("/v1/models/gfpgan")).Expect(200);
        Assert.Equal(("gfpgan", "call", "1"), (r.Data.GetProperty("name").GetString(), r.Data.GetProperty("price").GetProperty("per").GetString(),
            r.Data.GetProperty("price").GetProperty("credits").GetString()));
        Assert.Equal("1.4", r.Data.GetProperty("input_schema").GetProperty("properties").GetProperty("version").GetProperty("default").GetString());

        (await _api.GetAsync("/v1/models/no-such-model")).Expect(404, "NOT_FOUND");
        var (user, _) = await _api.NewUserAsync();
        (await user.SendAsync(HttpMethod.Post, "/v1/models/no-such-model", JobsApiTests.Form(("image", Photo)))).Expect(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Calling_a_model_by_name_answers_what_its_own_route_answers()
    {
        var (user, _) = await _api.NewUserAsync();
        var own = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", Photo), ("scale", 2), ("version", "v1.3")))).Expect(200);
        var generic = (await user.SendAsync(HttpMethod.Post, "/v1/models/gfpgan", JobsApiTests.Form(("image", Photo), ("scale", 2), ("version", "v1.3")))).Expect(200);

        Assert.Equal(Names(own.Data), Names(generic.Data));
        Assert.Equal(Names(own.Json.GetProperty("meta")), Names(generic.Json.GetProperty("meta")));
        foreach (var field in new[] { "model", "scale", "version", "width", "height", "bytes", "credits_charged" })
            Assert.Equal(own.Json.GetProperty("meta").GetProperty(field).ToString(), generic.Json.GetProperty("meta").GetProperty(field).ToString());
        Assert.Equal(generic.Json.GetProperty("request_id").GetString(), generic.Json.GetProperty("meta").GetProperty("requestId").GetString());
        Assert.StartsWith("gfpgan/s2-v1.3/", generic.Data.GetProperty("key").GetString());
        Assert.Equal("1", generic.Headers.GetValues("X-Credits-Charged").Single());
    }

    [Fact]
    public async Task A_model_called_by_name_can_answer_at_once_and_is_polled_like_any_job()
    {
        var (user, _) = await _api.NewUserAsync();
        var accepted = (await user.SendAsync(HttpMethod.Post, "/v1/models/iclight",
            JobsApiTests.Form(("subject_image", Photo), ("prompt", "soft light"), ("width", 256), ("height", 256), ("number_of_images", 2)),
            m => m.Headers.Add("Prefer", "respond-async"))).Expect(202);
        var jobId = accepted.Data.GetProperty("job_id").GetString();
        Assert.Equal($"/v1/jobs/{jobId}", accepted.Headers.Location!.AbsolutePath);
        Assert.Equal("6", accepted.Headers.GetValues("X-Credits-Charged").Single());

        ApiResponse job;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            job = (await user.GetAsync($"/v1/jobs/{jobId}")).Expect(200);
        } while (job.Data.GetProperty("state").GetString() != "succeeded" && DateTime.UtcNow < deadline);

        Assert.Equal(2, job.Data.GetProperty("outputs").GetArrayLength());
        Assert.Equal(("local/iclight", 2), (job.Json.GetProperty("meta").GetProperty("model").GetString(),
            job.Json.GetProperty("meta").GetProperty("number_of_images").GetInt32()));
    }

    [Fact]
    public async Task A_value_out_of_its_declared_range_is_400_naming_the_field_on_both_routes()
    {
        var (user, _) = await _api.NewUserAsync();
        foreach (var path in new[] { "/v1/gfpgan", "/v1/models/gfpgan" })
        {
            var r = (await user.SendAsync(HttpMethod.Post, path, JobsApiTests.Form(("image", Photo), ("scale", 9)))).Expect(400, "VALIDATION_ERROR");
            Assert.Equal("scale", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
            Assert.Equal("scale must be a whole number from 1 to 4", r.Json.GetProperty("error").GetProperty("message").GetString());
        }
        var width = (await user.SendAsync(HttpMethod.Post, "/v1/models/iclight",
            JobsApiTests.Form(("subject_image", Photo), ("prompt", "p"), ("width", 300)))).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("width must be a multiple of 64 from 256 to 1024", width.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("100", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task The_openapi_document_has_the_catalogue_routes()
    {
        using var doc = JsonDocument.Parse(await _api.Http.GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");

        Assert.Equal("ListModels", paths.GetProperty("/v1/models").GetProperty("get").GetProperty("operationId").GetString());
        Assert.Equal("GetModel", paths.GetProperty("/v1/models/{name}").GetProperty("get").GetProperty("operationId").GetString());
        Assert.Equal("RunModel", paths.GetProperty("/v1/models/{name}").GetProperty("post").GetProperty("operationId").GetString());
        Assert.False(paths.GetProperty("/v1/models").GetProperty("get").TryGetProperty("security", out _), "the catalogue is public");
        Assert.Equal("Gfpgan", paths.GetProperty("/v1/gfpgan").GetProperty("post").GetProperty("operationId").GetString());
    }

    private static List<string> Names(JsonElement o) => [.. o.EnumerateObject().Select(p => p.Name).Order()];
}

/// <summary>
/// A model that is not one of the code models (as a settings declaration will build one: a value bag,
/// the generic route and the shared <c>jobs-models</c> queue) is listed, priced per output, validated,
/// run and batched through the catalogue alone.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class DeclaredModelApiTests(DeclaredModelApiTests.App app) : IClassFixture<DeclaredModelApiTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Credits:SignupBonus"] = "100" })
    {
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions
                .AddSingleton<ModelDefinition>(s, new Copies()));
        }
    }

    private static readonly byte[] Photo = VipsTestImages.Photo(64, 48);
    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task It_is_listed_with_its_schema_and_price_and_runs_by_name_charged_per_output()
    {
        var listed = (await _api.GetAsync("/v1/models/copies")).Expect(200).Data;
        Assert.Equal(("/v1/models/copies", "images", "2", "output"), (listed.GetProperty("route").GetString(), listed.GetProperty("output_kind").GetString(),
            listed.GetProperty("price").GetProperty("credits").GetString(), listed.GetProperty("price").GetProperty("per").GetString()));
        var n = listed.GetProperty("input_schema").GetProperty("properties").GetProperty("n");
        Assert.Equal((1, 3), (n.GetProperty("minimum").GetInt32(), n.GetProperty("maximum").GetInt32()));

        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/models/copies", JobsApiTests.Form(("image", Photo), ("n", 3), ("tone", "WARM")))).Expect(200);
        Assert.Equal(3, r.Data.GetProperty("outputs").GetArrayLength());
        Assert.Equal("6", r.Headers.GetValues("X-Credits-Charged").Single());
        var job = (await user.GetAsync($"/v1/jobs/{r.Data.GetProperty("job_id").GetString()}")).Expect(200).Data;
        Assert.Equal("""{"n":3,"tone":"warm"}""", job.GetProperty("params").GetRawText());
        Assert.StartsWith("models/copies/", job.GetProperty("outputs")[0].GetProperty("key").GetString());

        // One output of an "images" model still answers outputs[] (by output kind, not by model name).
        var one = (await user.SendAsync(HttpMethod.Post, "/v1/models/copies", JobsApiTests.Form(("image", Photo)))).Expect(200);
        Assert.Equal(1, one.Data.GetProperty("outputs").GetArrayLength());
        Assert.False(one.Data.TryGetProperty("key", out _));

        var refused = (await user.SendAsync(HttpMethod.Post, "/v1/models/copies", JobsApiTests.Form(("image", Photo), ("n", 4)))).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("n", refused.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        (await user.GetAsync("/v1/jobs?model=copies")).Expect(200);
    }

    [Fact]
    public async Task It_runs_in_a_batch()
    {
        var (user, _) = await _api.NewUserAsync();
        var upload = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", JobsApiTests.Form(("file", Photo)))).Expect(201);
        var id = upload.Data.GetProperty("items")[0].GetProperty("id").GetString();
        var batch = (await user.PostRawAsync("/v1/batches",
            $$$"""{"model":"copies","items":[{"inputs":{"image":"{{{id}}}"},"params":{"n":2}}]}""")).Expect(202);
        Assert.Equal("4", batch.Data.GetProperty("credits_reserved").GetString());
        var bad = (await user.PostRawAsync("/v1/batches", $$$"""{"model":"copies","items":[{"inputs":{"image":"{{{id}}}"},"params":{"n":9}}]}""")).Expect(400);
        Assert.Equal("n", bad.Json.GetProperty("error").GetProperty("details").GetProperty("items")[0].GetProperty("details").GetProperty("field").GetString());
    }

    /// <summary><c>n</c> copies of the image (1..3), priced per output; its values kept as a bag.</summary>
    private sealed class Copies : ModelDefinition
    {
        public override string Name => "copies";
        public override string Queue => ModelCatalog.SharedQueue;
        public override string Description => "n copies of the image";
        public override IReadOnlyList<ModelInput> Inputs { get; } =
        [
            new("image", InputKind.Image, "The image"),
            new("n", InputKind.Integer, "How many copies") { Min = 1, Max = 3, Default = 1 },
            new("tone", InputKind.Enum, "A tone") { Values = ["warm", "cold"] },
        ];
        public override OutputKind OutputKind => OutputKind.Images;
        public override ModelPrice Price { get; } = new(2, PricePer.Output);
        public override ModelParameters Bind(ModelValues values) => values;
        public override ModelParameters FromJson(JsonElement json) => new ModelValues(JsonNode.Parse(json.GetRawText())!.AsObject());
        public override int OutputCount(ModelParameters parameters) => ((ModelValues)parameters).Int("n");
        public override IReadOnlyList<ModelOutput> RunLocal(ModelParameters parameters, Wati.Platform.Models.Local.LocalInputs inputs,
            Wati.Platform.Models.Local.LocalRun run) =>
            [.. Enumerable.Range(0, OutputCount(parameters)).Select(_ => new ModelOutput(inputs["image"], "image/jpeg", "jpg", 64, 48))];
    }
}
