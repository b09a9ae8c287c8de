using System.Text.Json;
using System.Text.Json.Nodes;
using FakeReplicate;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Platform;
using Wati.Platform.Models.Catalog;
using Wati.Tests.Api;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>
/// Issue 18, item 3 and its first "Done when": a model declared only in settings (<c>Wati:Models:Catalog:upscale-x</c>,
/// an image input, a number with a range, an enum and an <c>images</c> output counted by an integer input, priced per
/// output) is listed with its JSON Schema, priced, validated, run end to end on the embedded defaults and in a batch.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class DeclaredModelTests(DeclaredModelTests.App app) : IClassFixture<DeclaredModelTests.App>
{
    /// <summary>The declaration of the brief, as configuration keys (environment variables <c>Wati__Models__Catalog__upscale-x__…</c>).</summary>
    public static Dictionary<string, string?> UpscaleX(string prefix = "Wati:Models:Catalog:upscale-x:") => new()
    {
        [prefix + "Description"] = "Upscale and vary",
        [prefix + "Inputs:image:Kind"] = "image",
        [prefix + "Inputs:image:Required"] = "true",
        [prefix + "Inputs:strength:Kind"] = "number",
        [prefix + "Inputs:strength:Min"] = "0",
        [prefix + "Inputs:strength:Max"] = "1",
        [prefix + "Inputs:strength:Default"] = "0.5",
        [prefix + "Inputs:style:Kind"] = "enum",
        [prefix + "Inputs:style:Values"] = "soft,sharp",
        [prefix + "Inputs:style:Default"] = "soft",
        [prefix + "Inputs:count:Kind"] = "integer",
        [prefix + "Inputs:count:Min"] = "1",
        [prefix + "Inputs:count:Max"] = "4",
        [prefix + "Inputs:count:Default"] = "1",
        [prefix + "Output:Kind"] = "images",
        [prefix + "Output:CountFrom"] = "count",
        [prefix + "Price:Credits"] = "3",
        [prefix + "Price:Per"] = "output",
        [prefix + "Replicate:Model"] = "acme/upscaler",
        [prefix + "Replicate:Inputs:img"] = "image",
        [prefix + "Replicate:Inputs:strength_value"] = "strength",
        [prefix + "Replicate:Inputs:mode"] = "style",
        [prefix + "Replicate:Inputs:num_outputs"] = "count",
        [prefix + "Replicate:Inputs:safety"] = "false",
        [prefix + "Replicate:Inputs:seed"] = "42",
    };

    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>(UpscaleX()) { ["Wati:Credits:SignupBonus"] = "100" });

    private static readonly byte[] Photo = VipsTestImages.Photo(64, 48);
    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task It_is_listed_with_its_json_schema_and_priced_per_output()
    {
        var listed = (await _api.GetAsync("/v1/models?page_size=100")).Expect(200).Data.GetProperty("items").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == "upscale-x");

        Assert.Equal(("/v1/models/upscale-x", "Upscale and vary", "images"), (listed.GetProperty("route").GetString(),
            listed.GetProperty("description").GetString(), listed.GetProperty("output_kind").GetString()));
        Assert.Equal(("3", "output"), (listed.GetProperty("price").GetProperty("credits").GetString(), listed.GetProperty("price").GetProperty("per").GetString()));
        var schema = listed.GetProperty("input_schema");
        var properties = schema.GetProperty("properties");
        // Configuration keeps keys in order of name, so the inputs are listed so.
        Assert.Equal(["count", "image", "strength", "style"], properties.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["image"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var strength = properties.GetProperty("strength");
        Assert.Equal(("number", 0.0, 1.0, 0.5), (strength.GetProperty("type").GetString(), strength.GetProperty("minimum").GetDouble(),
            strength.GetProperty("maximum").GetDouble(), strength.GetProperty("default").GetDouble()));
        var style = properties.GetProperty("style");
        Assert.Equal(["soft", "sharp"], style.GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("soft", style.GetProperty("default").GetString());
        var count = properties.GetProperty("count");
        Assert.Equal(("integer", "1", "4", "1"), (count.GetProperty("type").GetString(), count.GetProperty("minimum").GetRawText(),
            count.GetProperty("maximum").GetRawText(), count.GetProperty("default").GetRawText()));
        Assert.Equal("binary", properties.GetProperty("image").GetProperty("format").GetString());

        var prices = (await _api.GetAsync("/v1/prices")).Expect(200).Data.GetProperty("items").EnumerateArray()
            .ToDictionary(p => p.GetProperty("model").GetString()!);
        Assert.Equal(("3", "image"), (prices["upscale-x"].GetProperty("credits").GetString(), prices["upscale-x"].GetProperty("per").GetString()));
    }

    [Fact]
    public async Task It_runs_on_the_embedded_defaults_with_as_many_outputs_as_count_and_is_charged_per_output()
    {
        var (user, _) = await _api.NewUserAsync();

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/models/upscale-x",
            JobsApiTests.Form(("image", Photo), ("count", 3), ("style", "sharp")))).Expect(200);

        var outputs = r.Data.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(3, outputs.Count);
        Assert.Equal("9", r.Headers.GetValues("X-Credits-Charged").Single());
        Assert.Equal("91", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
        var meta = r.Json.GetProperty("meta");
        Assert.Equal(("local/upscale-x", "9"), (meta.GetProperty("model").GetString(), meta.GetProperty("credits_charged").GetString()));
        Assert.Equal(r.Json.GetProperty("request_id").GetString(), meta.GetProperty("requestId").GetString());
        Assert.False(meta.TryGetProperty("replicate_prediction_id", out _));

        // Each output is an image derived from the input, and the three differ.
        var files = new List<byte[]>();
        foreach (var output in outputs)
        {
            var file = await _api.Http.GetAsync(new Uri(output.GetProperty("url").GetString()!).PathAndQuery);
            Assert.Equal("image/jpeg", file.Content.Headers.ContentType?.MediaType);
            files.Add(await file.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(3, files.Select(Convert.ToBase64String).Distinct().Count());

        var job = (await user.GetAsync($"/v1/jobs/{r.Data.GetProperty("job_id").GetString()}")).Expect(200).Data;
        Assert.Equal("""{"count":3,"strength":0.5,"style":"sharp"}""", job.GetProperty("params").GetRawText());
        var listed = (await user.GetAsync("/v1/jobs?model=upscale-x")).Expect(200).Data.GetProperty("items");
        Assert.Equal(r.Data.GetProperty("job_id").GetString(), Assert.Single(listed.EnumerateArray()).GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task An_out_of_range_value_is_400_naming_the_field_and_nothing_is_charged()
    {
        var (user, _) = await _api.NewUserAsync();

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/models/upscale-x", JobsApiTests.Form(("image", Photo), ("strength", 2)))).Expect(400, "VALIDATION_ERROR");

        Assert.Equal("strength", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        Assert.Contains("strength", r.Json.GetProperty("error").GetProperty("message").GetString());
        var style = (await user.SendAsync(HttpMethod.Post, "/v1/models/upscale-x", JobsApiTests.Form(("image", Photo), ("style", "blurry")))).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("style", style.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("100", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task It_runs_in_a_batch_each_item_charged_per_output()
    {
        var (user, _) = await _api.NewUserAsync();
        var upload = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", JobsApiTests.Form(("file", Photo)))).Expect(201);
        var id = upload.Data.GetProperty("items")[0].GetProperty("id").GetString();

        var submitted = (await user.PostRawAsync("/v1/batches", $$$"""
            {"model":"upscale-x","items":[{"inputs":{"image":"{{{id}}}"},"params":{"count":2},"ref":"a"},
                                          {"inputs":{"image":"{{{id}}}"},"params":{"style":"sharp"},"ref":"b"}]}
            """)).Expect(202);
        Assert.Equal("9", submitted.Data.GetProperty("credits_reserved").GetString());
        var batchId = submitted.Data.GetProperty("id").GetString();
        JsonElement view;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch did not complete in time");
            await Task.Delay(100);
            view = (await user.GetAsync($"/v1/batches/{batchId}")).Expect(200).Data;
        } while (view.GetProperty("state").GetString() != "completed");

        Assert.Equal(2, view.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.Equal("9", view.GetProperty("credits_charged").GetString());
        Assert.Equal("91", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
        var manifest = (await user.GetAsync($"/v1/batches/{batchId}/manifest")).Expect(200).Data.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal([("a", 2), ("b", 1)], manifest.GroupBy(m => m.GetProperty("ref").GetString()!).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())));
    }

    [Fact]
    public async Task The_metrics_filter_and_the_openapi_document_know_it()
    {
        var admin = await _api.AdminAsync();
        (await admin.GetAsync("/v1/admin/metrics?model=upscale-x")).Expect(200);
        var unknown = (await admin.GetAsync("/v1/admin/metrics?model=upscale-y")).Expect(400, "VALIDATION_ERROR");
        Assert.Contains("upscale-x", unknown.Json.GetProperty("error").GetProperty("message").GetString());

        using var doc = JsonDocument.Parse(await _api.Http.GetStringAsync("/openapi/v1.json"));
        Assert.Equal("RunModel", doc.RootElement.GetProperty("paths").GetProperty("/v1/models/{name}").GetProperty("post").GetProperty("operationId").GetString());
        // The model filters accept a declared name, so the document must not hold them to the code models (a
        // client that checks its requests against the document would refuse upscale-x otherwise).
        foreach (var (path, method) in new[] { ("/v1/jobs", "get"), ("/v1/admin/metrics", "get") })
        {
            var model = doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("parameters").EnumerateArray()
                .Single(p => p.GetProperty("name").GetString() == "model");
            Assert.False(model.GetProperty("schema").TryGetProperty("enum", out _), $"{path} model filter has an enum");
        }
    }
}

/// <summary>The same declaration against the fake Replicate: its inputs mapped as configured, typed by kind, literals typed as they parse.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class DeclaredModelReplicateTests
{
    [Fact]
    public async Task The_prediction_gets_the_inputs_mapped_as_declared_and_the_outputs_are_stored()
    {
        await using var fake = await FakeReplicateServer.StartAsync(token: ReplicateTestHost.Token);
        using var app = new ReplicateApp(new Dictionary<string, string?>(DeclaredModelTests.UpscaleX())
        {
            ["Wati:Models:Replicate:Token"] = ReplicateTestHost.Token,
            ["Wati:Models:Replicate:BaseUrl"] = fake.BaseUrl,
            ["Wati:Models:Replicate:PollInitialDelayMs"] = "5",
            ["Wati:Models:RetryBaseDelayMs"] = "1",
            ["Wati:Credits:SignupBonus"] = "100",
        });
        var (user, _) = await app.Api().NewUserAsync();
        fake.Script(new FakeScenario(PollsBeforeDone: 1, Outputs: 3));
        var photo = TinyImages.Png(6, 4, seed: 7);

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/models/upscale-x",
            JobsApiTests.Form(("image", photo), ("count", 3), ("style", "sharp"), ("strength", "0.25")))).Expect(200);

        var create = Assert.Single(fake.Requests, q => q.Method == "POST" && q.Path.EndsWith("/predictions", StringComparison.Ordinal));
        Assert.Equal("/v1/models/acme/upscaler/predictions", create.Path);
        var input = JsonNode.Parse(create.Body)!["input"]!.AsObject();
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(photo), input["img"]!.GetValue<string>());
        Assert.Equal((JsonValueKind.Number, 0.25m), (input["strength_value"]!.GetValueKind(), input["strength_value"]!.GetValue<decimal>()));
        Assert.Equal((JsonValueKind.String, "sharp"), (input["mode"]!.GetValueKind(), input["mode"]!.GetValue<string>()));
        Assert.Equal((JsonValueKind.Number, 3), (input["num_outputs"]!.GetValueKind(), input["num_outputs"]!.GetValue<int>()));
        Assert.Equal(JsonValueKind.False, input["safety"]!.GetValueKind());
        Assert.Equal((JsonValueKind.Number, 42), (input["seed"]!.GetValueKind(), input["seed"]!.GetValue<int>()));
        Assert.Equal(["img", "mode", "num_outputs", "safety", "seed", "strength_value"], input.Select(p => p.Key).Order());

        Assert.Equal(3, r.Data.GetProperty("outputs").GetArrayLength());
        Assert.Equal("9", r.Headers.GetValues("X-Credits-Charged").Single());
        var meta = r.Json.GetProperty("meta");
        var predictionId = meta.GetProperty("replicate_prediction_id").GetString()!;
        Assert.StartsWith("acme/upscaler:", meta.GetProperty("model").GetString());
        var stored = await app.Api().Http.GetAsync(new Uri(r.Data.GetProperty("outputs")[0].GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(fake.OutputsOf(predictionId)[0], await stored.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The host with the replicate provider (a host setting: the provider switch is read while services are registered).</summary>
    internal sealed class ReplicateApp(IDictionary<string, string?> settings) : WatiAppFactory(settings)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Wati:Models:Provider", "replicate");
        }
    }
}

/// <summary>A declaration with a mistake stops the start, the message naming the key to fix (issue 18, item 3).</summary>
public sealed class DeclaredModelStartTests
{
    private const string Key = "Wati:Models:Catalog:upscale-x";

    private static IReadOnlyList<string> StartUpFailures(Dictionary<string, string?> settings)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "wati-declared-" + Guid.NewGuid().ToString("N"));
        settings["Wati:DataDir"] = dataDir;
        try
        {
            return Composition.OptionsValidationTests.StartUpFailures(settings);
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    private static Dictionary<string, string?> With(params (string Key, string? Value)[] changes)
    {
        var settings = DeclaredModelTests.UpscaleX();
        foreach (var (key, value) in changes) settings[$"{Key}:{key}"] = value;
        return settings;
    }

    [Fact]
    public void The_declaration_as_given_starts_and_is_in_the_catalogue()
    {
        var settings = DeclaredModelTests.UpscaleX();
        Assert.Empty(StartUpFailures(settings));
    }

    [Theory]
    [InlineData("Inputs:strength:Kind", "float", $"{Key}:Inputs:strength:Kind 'float' is unknown")]
    [InlineData("Inputs:count:Min", "5", $"{Key}:Inputs:count: Min 5 is greater than Max 4")]
    [InlineData("Replicate:Inputs:img", "picture", $"{Key}:Inputs:image is not sent to Replicate")]
    [InlineData("Output:Kind", "gif", $"{Key}:Output:Kind 'gif' is unknown")]
    [InlineData("Price:Per", "second", $"{Key}:Price:Per 'second' is unknown")]
    [InlineData("Route", "v1/gfpgan", $"{Key}:Route 'v1/gfpgan' is taken: model 'gfpgan' has it")]
    [InlineData("Route", "v1/jobs", $"{Key}:Route 'v1/jobs' is taken: the platform route GET /v1/jobs has it")]
    [InlineData("Route", "v1/models/other", $"{Key}:Route 'v1/models/other' is under v1/models/")]
    [InlineData("Inputs:count:Default", null, $"{Key}:Inputs:count sets the number of outputs (Output:CountFrom), so it needs a Default or Required=true")]
    [InlineData("Replicate:Inputs:scale_value", "strength", $"{Key}:Replicate:Inputs:strength_value sends input 'strength' a second time")]
    public void A_mistake_stops_the_start_naming_the_key(string key, string? value, string expected)
    {
        var failures = StartUpFailures(With((key, value)));

        Assert.Contains(failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    /// <summary>As an operator meets it: environment variables, <c>dotnet Wati.Server.dll</c>, one message and exit code 2.</summary>
    [Fact]
    public async Task The_server_process_does_not_start_and_names_the_key()
    {
        using var data = new TempDir();
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(ServerProcessTests.ServerOutputDir(), "Wati.Server.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{ServerProcessTests.FreePort()}");
        psi.Environment["Wati__DataDir"] = data.File("data");
        foreach (var (key, value) in With(("Inputs:strength:Kind", "float"), ("Inputs:count:Max", "0")))
            psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);

        var said = await stderr + await stdout;
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("wati: not started; fix these settings and start again:", said);
        Assert.Contains($"{Key}:Inputs:strength:Kind 'float' is unknown", said);
        Assert.Contains($"{Key}:Inputs:count: Min 1 is greater than Max 0", said);
        Assert.DoesNotContain("   at ", said);
    }

    [Fact]
    public void The_functions_worker_does_not_start_either()
    {
        using var data = new TempDir();
        var settings = With(("Output:Kind", "gif"));
        settings["Wati:DataDir"] = data.Path;
        using var worker = Wati.Tests.Functions.FunctionsApp.Build(settings);

        var e = Assert.ThrowsAny<OptionsValidationException>(() => worker.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains($"{Key}:Output:Kind 'gif' is unknown", e.Message);
    }

    [Fact]
    public void A_name_taken_by_a_code_model_stops_the_start()
    {
        var failures = StartUpFailures(DeclaredModelTests.UpscaleX("Wati:Models:Catalog:gfpgan:"));

        Assert.Contains(failures, f => f.StartsWith("Wati:Models:Catalog:gfpgan: the model name 'gfpgan' is taken by a built-in model", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_declarations_on_one_route_stop_the_start()
    {
        var settings = DeclaredModelTests.UpscaleX();
        foreach (var (k, v) in DeclaredModelTests.UpscaleX("Wati:Models:Catalog:upscale-z:")) settings[k] = v;
        settings[$"{Key}:Route"] = "v1/upscale";
        settings["Wati:Models:Catalog:upscale-z:Route"] = "v1/upscale";

        var failures = StartUpFailures(settings);

        Assert.Contains(failures, f => f.StartsWith("Wati:Models:Catalog:upscale-z:Route 'v1/upscale' is taken: model 'upscale-x' has it", StringComparison.Ordinal));
    }
}

/// <summary>A declared model with its own <c>Route</c>: served there (as well as by name) and documented in the OpenAPI document.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class DeclaredModelOwnRouteTests(DeclaredModelOwnRouteTests.App app) : IClassFixture<DeclaredModelOwnRouteTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?>(DeclaredModelTests.UpscaleX())
    {
        ["Wati:Models:Catalog:upscale-x:Route"] = "v1/upscale",
        ["Wati:Credits:SignupBonus"] = "100",
    });

    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task It_is_served_and_documented_at_its_own_route()
    {
        var (user, _) = await _api.NewUserAsync();
        var photo = VipsTestImages.Photo(64, 48);

        // Straight through HttpClient: the test suite's contract check reads the document of the code routes only.
        using var call = new HttpRequestMessage(HttpMethod.Post, "/v1/upscale") { Content = JobsApiTests.Form(("image", photo), ("count", 2)) };
        call.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.Bearer);
        using var answer = await _api.Http.SendAsync(call);
        Assert.Equal(200, (int)answer.StatusCode);
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(2, body.RootElement.GetProperty("data").GetProperty("outputs").GetArrayLength());
        Assert.Equal("6", answer.Headers.GetValues("X-Credits-Charged").Single());
        (await user.SendAsync(HttpMethod.Post, "/v1/models/upscale-x", JobsApiTests.Form(("image", photo)))).Expect(200);
        (await user.GetAsync("/v1/upscale")).Expect(405, "METHOD_NOT_ALLOWED");
        Assert.Equal("/v1/upscale", (await _api.GetAsync("/v1/models/upscale-x")).Expect(200).Data.GetProperty("route").GetString());

        using var doc = JsonDocument.Parse(await _api.Http.GetStringAsync("/openapi/v1.json"));
        var post = doc.RootElement.GetProperty("paths").GetProperty("/v1/upscale").GetProperty("post");
        Assert.Equal(("DeclaredUpscaleX", "Upscale and vary"), (post.GetProperty("operationId").GetString(), post.GetProperty("summary").GetString()));
        var form = post.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties");
        Assert.Equal(1.0, form.GetProperty("strength").GetProperty("maximum").GetDouble());
    }

    [Fact]
    public async Task The_functions_catch_all_serves_it_too()
    {
        using var data = new TempDir();
        var settings = new Dictionary<string, string?>(DeclaredModelTests.UpscaleX())
        {
            ["Wati:DataDir"] = data.Path,
            ["Wati:Models:Catalog:upscale-x:Route"] = "v1/upscale",
        };
        using var worker = Wati.Tests.Functions.FunctionsApp.Build(settings);
        var catchAll = ActivatorUtilities.CreateInstance<Wati.Functions.Http.NoRouteFunction>(worker.Services);

        async Task<int> Call(string method, string path)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = worker.Services };
            context.Request.Method = method;
            context.Request.Path = path;
            context.Response.Body = new MemoryStream();
            await (await catchAll.NoRoute(context.Request, default)).ExecuteAsync(context);
            return context.Response.StatusCode;
        }

        Assert.Equal(401, await Call("POST", "/v1/upscale")); // the model's route: it wants a caller
        Assert.Equal(405, await Call("GET", "/v1/upscale"));
        Assert.Equal(404, await Call("POST", "/v1/upscale-y"));
    }
}

/// <summary>Declared <c>video</c> and <c>audio</c> models: the local stand-ins for their output kind, and Replicate's outputs taken as that kind.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class DeclaredMediaModelTests
{
    /// <summary><c>clip-x</c>: an image and a duration, a video; <c>tone-x</c>: a prompt, an audio clip. Both per call.</summary>
    public static Dictionary<string, string?> ClipAndTone() => new()
    {
        ["Wati:Models:Catalog:clip-x:Inputs:photo:Kind"] = "image",
        ["Wati:Models:Catalog:clip-x:Inputs:duration_seconds:Kind"] = "integer",
        ["Wati:Models:Catalog:clip-x:Inputs:duration_seconds:Min"] = "1",
        ["Wati:Models:Catalog:clip-x:Inputs:duration_seconds:Max"] = "2",
        ["Wati:Models:Catalog:clip-x:Inputs:duration_seconds:Default"] = "1",
        ["Wati:Models:Catalog:clip-x:Output:Kind"] = "video",
        ["Wati:Models:Catalog:clip-x:Price:Credits"] = "4",
        ["Wati:Models:Catalog:clip-x:Replicate:Model"] = "acme/clipper",
        ["Wati:Models:Catalog:clip-x:Replicate:Inputs:start_image"] = "photo",
        ["Wati:Models:Catalog:clip-x:Replicate:Inputs:duration"] = "duration_seconds",
        ["Wati:Models:Catalog:tone-x:Inputs:prompt:Kind"] = "text",
        ["Wati:Models:Catalog:tone-x:Inputs:prompt:Required"] = "true",
        ["Wati:Models:Catalog:tone-x:Inputs:prompt:MaxLength"] = "100",
        ["Wati:Models:Catalog:tone-x:Output:Kind"] = "audio",
        ["Wati:Models:Catalog:tone-x:Price:Credits"] = "2",
        ["Wati:Models:Catalog:tone-x:Replicate:Model"] = "acme/tones",
        ["Wati:Models:Catalog:tone-x:Replicate:Inputs:text"] = "prompt",
        ["Wati:Credits:SignupBonus"] = "100",
    };

    [Fact]
    public async Task Locally_a_video_model_makes_an_animated_webp_and_an_audio_model_a_wav()
    {
        using var app = new WatiAppFactory(ClipAndTone());
        var (user, _) = await app.Api().NewUserAsync();

        var clip = (await user.SendAsync(HttpMethod.Post, "/v1/models/clip-x", JobsApiTests.Form(("photo", VipsTestImages.Photo(64, 48))))).Expect(200);
        var video = await app.Api().Http.GetAsync(new Uri(clip.Data.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal("image/webp", video.Content.Headers.ContentType?.MediaType);
        Assert.True(Wati.Platform.Models.MediaProbe.IsAnimatedWebP(await video.Content.ReadAsByteArrayAsync()));
        Assert.Equal("4", clip.Headers.GetValues("X-Credits-Charged").Single());

        var tone = (await user.SendAsync(HttpMethod.Post, "/v1/models/tone-x", JobsApiTests.Form(("prompt", "rain on a roof")))).Expect(200);
        var audio = await app.Api().Http.GetAsync(new Uri(tone.Data.GetProperty("url").GetString()!).PathAndQuery);
        var wav = await audio.Content.ReadAsByteArrayAsync();
        Assert.Equal(("audio/wav", "RIFF", "WAVE"), (audio.Content.Headers.ContentType?.MediaType,
            System.Text.Encoding.ASCII.GetString(wav, 0, 4), System.Text.Encoding.ASCII.GetString(wav, 8, 4)));
        Assert.Equal("94", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task On_replicate_a_video_models_output_is_taken_as_a_video()
    {
        await using var fake = await FakeReplicateServer.StartAsync(token: ReplicateTestHost.Token);
        var settings = ClipAndTone();
        settings["Wati:Models:Replicate:Token"] = ReplicateTestHost.Token;
        settings["Wati:Models:Replicate:BaseUrl"] = fake.BaseUrl;
        settings["Wati:Models:Replicate:PollInitialDelayMs"] = "5";
        settings["Wati:Models:RetryBaseDelayMs"] = "1";
        using var app = new DeclaredModelReplicateTests.ReplicateApp(settings);
        var (user, _) = await app.Api().NewUserAsync();
        var mp4 = MediaSamples.IsoMedia();
        fake.Script(new FakeScenario(OutputAsString: true, OutputFile: new FakeOutputFile(mp4, "video/mp4", "mp4")));

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/models/clip-x", JobsApiTests.Form(("photo", TinyImages.Png(6, 4, seed: 3)), ("duration_seconds", 2)))).Expect(200);

        var input = JsonNode.Parse(Assert.Single(fake.Requests, q => q.Method == "POST" && q.Path.EndsWith("/predictions", StringComparison.Ordinal)).Body)!["input"]!;
        Assert.Equal(2, input["duration"]!.GetValue<int>());
        Assert.StartsWith("data:image/png;base64,", input["start_image"]!.GetValue<string>());
        var stored = await app.Api().Http.GetAsync(new Uri(r.Data.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal("video/mp4", stored.Content.Headers.ContentType?.MediaType);
        Assert.Equal(mp4, await stored.Content.ReadAsByteArrayAsync());
    }
}
