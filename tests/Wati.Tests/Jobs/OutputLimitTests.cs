using System.Net.Http.Headers;
using Wati.Tests.Support;

namespace Wati.Tests.Jobs;

/// <summary>One call cannot ask for an output bigger than <c>Wati:Models:MaxOutputPixels</c>: refused before any charge.</summary>
public sealed class OutputLimitTests : IClassFixture<OutputLimitTests.App>
{
    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Models:MaxOutputPixels"] = "1000" });

    private readonly ApiClient _api;

    public OutputLimitTests(App app) => _api = app.Api();

    [Theory]
    [InlineData("/v1/gfpgan", "image", 10, 10, "scale=4", 1600)]       // 100 px x 4^2
    [InlineData("/v1/replace-style", "image", 40, 30, "style=noir", 1200)]
    [InlineData("/v1/portraits/iclight", "subject_image", 8, 8, "width=256", 256 * 640)]
    public async Task AnOutputOverTheLimitIs400NamingItAndChargesNothing(string route, string field, int w, int h, string param, long pixels)
    {
        var (user, _) = await _api.NewUserAsync();
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(TinyImages.Png(w, h));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, field, "in.png");
        var (name, value) = (param.Split('=')[0], param.Split('=')[1]);
        form.Add(new StringContent(value), name);
        if (route.Contains("iclight")) form.Add(new StringContent("soft light"), "prompt");

        var r = (await user.SendAsync(HttpMethod.Post, route, form)).Expect(400, "VALIDATION_ERROR");
        var details = r.Json.GetProperty("error").GetProperty("details");
        Assert.Equal(pixels.ToString(System.Globalization.CultureInfo.InvariantCulture), details.GetProperty("output_pixels").GetString());
        Assert.Equal("1000", details.GetProperty("max_output_pixels").GetString());
        Assert.Contains("at most 1000 pixels", r.Json.GetProperty("error").GetProperty("message").GetString());

        var credits = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        Assert.Equal(("10", "0"), (credits.GetProperty("balance").GetString(), credits.GetProperty("reserved").GetString()));
        Assert.Equal(0, (await user.GetAsync("/v1/jobs")).Expect(200).Json.GetProperty("pagination").GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("/v1/gfpgan", 200, 1, "scale=4", "800x4")]        // 800 px: under the pixel limit, over the side limit
    [InlineData("/v1/replace-style", 700, 1, "style=noir", "700x1")]
    public async Task AnOutputSideOverTheLimitIs400NamingItAndChargesNothing(string route, int w, int h, string param, string size)
    {
        using var app = new WatiAppFactory(new Dictionary<string, string?> { ["Wati:Models:MaxOutputSide"] = "640" });
        var (user, _) = await app.Api().NewUserAsync();
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(TinyImages.Png(w, h));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "image", "in.png");
        form.Add(new StringContent(param.Split('=')[1]), param.Split('=')[0]);

        var r = (await user.SendAsync(HttpMethod.Post, route, form)).Expect(400, "VALIDATION_ERROR");
        Assert.Contains($"the output would be {size}; at most 640 pixels per side", r.Json.GetProperty("error").GetProperty("message").GetString());
        var credits = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        Assert.Equal(("10", "0"), (credits.GetProperty("balance").GetString(), credits.GetProperty("reserved").GetString()));
    }
}
