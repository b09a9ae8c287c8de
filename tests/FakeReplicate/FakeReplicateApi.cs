using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FakeReplicate;

/// <summary>
/// The routes, following Replicate's documented shapes: predictions (create by version or by model,
/// get, cancel), files, account, and the output files themselves under <c>/delivery</c> (as
/// replicate.delivery serves them: no token needed). Errors are problem details (<c>title</c>,
/// <c>detail</c>, <c>status</c>). <c>/_fake/script</c> and <c>/_fake/requests</c> script and inspect it over HTTP.
/// </summary>
internal static class FakeReplicateApi
{
    public static void Map(WebApplication app, FakeReplicateServer fake)
    {
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (path.StartsWith("/_fake/", StringComparison.Ordinal) || path.StartsWith("/delivery/", StringComparison.Ordinal))
            {
                if (path.StartsWith("/delivery/", StringComparison.Ordinal)) fake.Record(await ReadAsync(ctx));
                await next(ctx);
                return;
            }
            var request = await ReadAsync(ctx);
            fake.Record(request);
            if (request.Authorization != $"Bearer {fake.Token}")
            {
                await Problem(401, "Unauthenticated", "You did not pass a valid authentication token").ExecuteAsync(ctx);
                return;
            }
            await next(ctx);
        });

        app.MapPost("/v1/predictions", (Func<HttpContext, Task<IResult>>)(ctx => CreateAsync(ctx, fake, model: null)));
        app.MapPost("/v1/models/{owner}/{name}/predictions", (HttpContext ctx, string owner, string name) =>
            CreateAsync(ctx, fake, $"{owner}/{name}"));
        app.MapGet("/v1/predictions/{id}", (HttpContext ctx, string id) => Get(ctx, fake, id));
        app.MapPost("/v1/predictions/{id}/cancel", (HttpContext ctx, string id) => Cancel(ctx, fake, id));
        app.MapPost("/v1/files", (Func<HttpContext, Task<IResult>>)(ctx => UploadAsync(ctx, fake)));
        app.MapGet("/v1/files/{id}", (HttpContext ctx, string id) =>
            fake.Files.TryGetValue(id, out var f) ? Results.Json(FileJson(Base(ctx), id, f.Bytes, f.ContentType, f.Name)) : NotFound());
        app.MapGet("/v1/account", () => Results.Json(new { type = "user", username = "fake", name = "Fake Replicate" }));
        // Model and version lookups (readiness): every model exists unless named in Unavailable.
        app.MapGet("/v1/models/{owner}/{name}", (string owner, string name) =>
            fake.IsUnavailable($"{owner}/{name}") ? NotFound()
                : Results.Json(new { owner, name, url = $"https://replicate.com/{owner}/{name}", visibility = "public" }));
        app.MapGet("/v1/models/{owner}/{name}/versions/{id}", (string owner, string name, string id) =>
            fake.IsUnavailable($"{owner}/{name}") || fake.IsUnavailable(id) ? NotFound()
                : Results.Json(new { id, created_at = "2026-01-01T00:00:00.000Z", cog_version = "0.9.0" }));
        app.MapGet("/delivery/{id}/{file}", (string id, string file) =>
            fake.Deliveries.TryGetValue($"{id}/{file}", out var d) ? Results.Bytes(d.Bytes, d.ContentType) : NotFound());

        app.MapPost("/_fake/script", (FakeScenario[] scenarios) =>
        {
            fake.Script(scenarios);
            return Results.Json(new { queued = scenarios.Length });
        });
        app.MapGet("/_fake/requests", () => Results.Json(fake.Requests));
    }

    private static async Task<IResult> CreateAsync(HttpContext ctx, FakeReplicateServer fake, string? model)
    {
        JsonObject body;
        try
        {
            body = JsonNode.Parse(ctx.Request.Body is { } s ? await new StreamReader(s).ReadToEndAsync() : "") as JsonObject
                   ?? throw new JsonException();
        }
        catch (JsonException)
        {
            return Problem(400, "Bad request", "the body is not a JSON object");
        }
        var version = body["version"]?.GetValue<string>();
        if (model is null && string.IsNullOrEmpty(version)) return Problem(422, "Input validation failed", "- version: Field required");
        // As Replicate answers a version that does not exist or that the token may not use (replicate-javascript #307).
        if (version is not null && fake.IsUnavailable(version))
            return Problem(422, "Invalid version or not permitted", "The specified version does not exist (or perhaps you don't have permission to use it?)");
        if (model is not null && fake.IsUnavailable(model)) return NotFound();
        if (body["input"] is not JsonObject input) return Problem(422, "Input validation failed", "- input: Field required");
        if (InvalidInput(input, fake, Base(ctx)) is { } invalid) return Problem(422, "Input validation failed", invalid);

        var scenario = fake.NextScenario();
        switch (scenario.Outcome)
        {
            case FakeOutcome.Reject:
                return Problem(422, "Input validation failed", "- input.img: invalid input: the image could not be read");
            case FakeOutcome.Throttle:
                // Replicate's documented body carries the hint (https://replicate.com/docs/topics/predictions/rate-limits).
                var seconds = scenario.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (scenario.RetryAfterHeader) ctx.Response.Headers.RetryAfter = seconds;
                return Results.Json(new { detail = $"Request was throttled. Your rate limit resets in ~{seconds}s." }, statusCode: 429);
            case FakeOutcome.ServerError:
                return Problem(500, "Internal Server Error", "something broke");
        }

        var prediction = new FakePrediction(fake.NewId("pred"), model, version, input, scenario);
        fake.Predictions[prediction.Id] = prediction;
        // Prefer: wait holds a real create until the end or the wait runs out. Here progress comes only
        // from polls, so the wait "runs out" at once for a prediction scripted to need polls.
        lock (prediction.Gate) Advance(prediction, fake, Base(ctx), polled: false);
        return Results.Json(Json(prediction, Base(ctx)), statusCode: 201);
    }

    private static IResult Get(HttpContext ctx, FakeReplicateServer fake, string id)
    {
        if (!fake.Predictions.TryGetValue(id, out var p)) return NotFound();
        lock (p.Gate)
        {
            Advance(p, fake, Base(ctx), polled: true);
            return Results.Json(Json(p, Base(ctx)));
        }
    }

    private static IResult Cancel(HttpContext ctx, FakeReplicateServer fake, string id)
    {
        if (!fake.Predictions.TryGetValue(id, out var p)) return NotFound();
        lock (p.Gate)
        {
            if (p.Status is "starting" or "processing") p.Status = "canceled";
            return Results.Json(Json(p, Base(ctx)));
        }
    }

    private static async Task<IResult> UploadAsync(HttpContext ctx, FakeReplicateServer fake)
    {
        if (!ctx.Request.HasFormContentType) return Problem(400, "Bad request", "expected multipart/form-data");
        var form = await ctx.Request.ReadFormAsync();
        if (form.Files.GetFile("content") is not { } file) return Problem(400, "Bad request", "the form has no 'content' file");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer);
        var id = fake.NewId("file");
        var contentType = file.ContentType ?? "application/octet-stream";
        fake.Files[id] = (buffer.ToArray(), contentType, file.FileName);
        return Results.Json(FileJson(Base(ctx), id, buffer.ToArray(), contentType, file.FileName), statusCode: 201);
    }

    /// <summary>Moves a prediction along: each poll brings it one step nearer its scripted end.</summary>
    private static void Advance(FakePrediction p, FakeReplicateServer fake, string baseUrl, bool polled)
    {
        if (p.Status is not ("starting" or "processing")) return;
        if (polled) p.Polls++;
        if ((p.Scenario.Outcome == FakeOutcome.Hang && !p.Released) || p.Polls < p.Scenario.PollsBeforeDone)
        {
            if (p.Polls > 0) p.Status = "processing";
            return;
        }
        switch (p.Scenario.Outcome)
        {
            case FakeOutcome.Fail:
                p.Status = "failed";
                return;
            case FakeOutcome.Abort:
                p.Status = "aborted";
                return;
        }
        var count = p.Scenario.Outputs ?? (p.Input["number_of_images"] is JsonValue n && n.TryGetValue<int>(out var k) ? k : 1);
        var jpeg = p.Input["output_format"]?.GetValue<string>() is "jpg" or "jpeg";
        var (width, height) = OutputSize(p.Input, fake, baseUrl);
        for (var i = 0; i < count; i++)
        {
            var given = p.Scenario.OutputFile;
            var file = $"out-{i}.{given?.Extension ?? (jpeg ? "jpg" : "png")}";
            var key = $"{p.Id}/{file}";
            p.OutputKeys.Add(key);
            p.OutputUrls.Add($"{fake.DeliveryBaseUrl ?? baseUrl}/delivery/{key}");
            if (p.Scenario.MissingOutput != i)
                fake.Deliveries[key] = given is not null ? (given.Bytes, given.ContentType)
                    : jpeg ? (FakeImages.Jpeg, "image/jpeg") : (FakeImages.Png(width, height, (byte)(i + 1)), "image/png");
        }
        p.Status = "succeeded";
    }

    /// <summary>
    /// As the models size theirs: <c>width</c> x <c>height</c> when given (ic-light); else the last image
    /// input's size (for two images, the background), times <c>scale</c> when given (gfpgan); else 64x48.
    /// </summary>
    private static (int Width, int Height) OutputSize(JsonObject input, FakeReplicateServer fake, string baseUrl)
    {
        if (Int(input, "width") is { } w and > 0 and <= 4096 && Int(input, "height") is { } h and > 0 and <= 4096) return (w, h);
        (int Width, int Height)? size = null;
        foreach (var (_, value) in input)
            if (value is JsonValue v && v.TryGetValue<string>(out var s) && ImageBytes(s, fake, baseUrl) is { } bytes)
                size = FakeImageSize.Of(bytes) ?? size;
        if (size is null) return (64, 48);
        var (iw, ih) = size.Value;
        var scale = Math.Clamp(Int(input, "scale") ?? 1, 1, 4);
        return (Math.Clamp(iw * scale, 1, 4096), Math.Clamp(ih * scale, 1, 4096));
    }

    private static int? Int(JsonObject input, string name) => input[name] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

    private static byte[]? ImageBytes(string value, FakeReplicateServer fake, string baseUrl)
    {
        if (value.StartsWith("data:", StringComparison.Ordinal) && value.IndexOf(',') is var comma and > 0)
            return Convert.FromBase64String(value[(comma + 1)..]);
        return value.StartsWith(baseUrl + "/v1/files/", StringComparison.Ordinal) && fake.Files.TryGetValue(value.Split('/')[^1], out var f)
            ? f.Bytes : null;
    }

    /// <summary>A data URI must be base64; a URL of our own files API must name an uploaded file.</summary>
    private static string? InvalidInput(JsonObject input, FakeReplicateServer fake, string baseUrl)
    {
        foreach (var (name, value) in input)
        {
            if (value is not JsonValue v || !v.TryGetValue<string>(out var s)) continue;
            if (s.StartsWith("data:", StringComparison.Ordinal))
            {
                var comma = s.IndexOf(',');
                if (comma < 0 || !s[..comma].EndsWith(";base64", StringComparison.Ordinal) || !IsBase64(s[(comma + 1)..]))
                    return $"- input.{name}: invalid input: not a base64 data URI";
            }
            else if (s.StartsWith(baseUrl + "/v1/files/", StringComparison.Ordinal) && !fake.Files.ContainsKey(s.Split('/')[^1]))
                return $"- input.{name}: invalid input: no such file";
        }
        return null;
    }

    private static bool IsBase64(string s) => Convert.TryFromBase64String(s, new byte[s.Length], out _);

    private static JsonObject Json(FakePrediction p, string baseUrl)
    {
        JsonNode? output = p.Status != "succeeded" ? null
            : p.Scenario.OutputAsString && p.OutputUrls.Count == 1 ? JsonValue.Create(p.OutputUrls[0])
            : new JsonArray(p.OutputUrls.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray());
        return new JsonObject
        {
            ["id"] = p.Id,
            ["model"] = p.Model,
            ["version"] = p.Version,
            ["input"] = p.Input.DeepClone(),
            ["logs"] = "",
            ["output"] = output,
            ["error"] = p.Status == "failed" ? p.Scenario.Error : null,
            ["status"] = p.Status,
            ["created_at"] = "2026-01-01T00:00:00.000Z",
            ["urls"] = new JsonObject
            {
                ["get"] = $"{baseUrl}/v1/predictions/{p.Id}",
                ["cancel"] = $"{baseUrl}/v1/predictions/{p.Id}/cancel",
            },
        };
    }

    private static object FileJson(string baseUrl, string id, byte[] bytes, string contentType, string name) => new
    {
        id, name, content_type = contentType, size = bytes.Length, created_at = "2026-01-01T00:00:00.000Z",
        urls = new { get = $"{baseUrl}/v1/files/{id}" },
    };

    private static async Task<FakeRequest> ReadAsync(HttpContext ctx)
    {
        ctx.Request.EnableBuffering();
        var isForm = ctx.Request.HasFormContentType;
        var body = isForm ? "" : await new StreamReader(ctx.Request.Body, leaveOpen: true).ReadToEndAsync();
        ctx.Request.Body.Position = 0;
        return new FakeRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null,
            ctx.Request.Headers["Prefer"].ToString() is { Length: > 0 } p ? p : null, ctx.Request.ContentType, body,
            ctx.Request.Headers["Cancel-After"].ToString() is { Length: > 0 } c ? c : null);
    }

    private static string Base(HttpContext ctx) => $"{ctx.Request.Scheme}://{ctx.Request.Host}";

    private static IResult NotFound() => Problem(404, "Not found", "The requested resource could not be found.");

    private static IResult Problem(int status, string title, string detail) =>
        Results.Json(new { title, detail, status }, statusCode: status, contentType: "application/problem+json");
}
