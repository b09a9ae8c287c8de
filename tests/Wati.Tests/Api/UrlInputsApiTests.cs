using System.Net;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>Inputs given as URLs: fetched through the SSRF guard; loopback only where a test allows it explicitly.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class UrlInputsApiTests
{
    private static readonly byte[] Photo = VipsTestImages.Photo(64, 48);

    private sealed class AllowingApp() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Credits:SignupBonus"] = "50",
        ["Wati:Uploads:AllowHttpUrls"] = "true",
        ["Wati:Uploads:AllowLoopbackUrls"] = "true",
        ["Wati:Batches:FeedIntervalMilliseconds"] = "50",
    });

    /// <summary>A loopback file server: /photo.jpg, /missing (404), /redirect (302 to the photo).</summary>
    private static (HttpListener Listener, string Base, Task Serving, CancellationTokenSource Stop) Serve()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync().WaitAsync(stop.Token);
                switch (context.Request.Url!.AbsolutePath)
                {
                    case "/photo.jpg":
                        context.Response.ContentType = "image/jpeg";
                        await context.Response.OutputStream.WriteAsync(Photo);
                        break;
                    case "/redirect":
                        context.Response.StatusCode = 302;
                        context.Response.RedirectLocation = $"http://127.0.0.1:{port}/photo.jpg";
                        break;
                    default:
                        context.Response.StatusCode = 404;
                        break;
                }
                context.Response.Close();
            }
        });
        return (listener, $"http://127.0.0.1:{port}", serving, stop);
    }

    [Theory]
    [InlineData("https://127.1/photo.jpg")]
    [InlineData("https://2130706433/photo.jpg")]
    [InlineData("https://[::ffff:127.0.0.1]/photo.jpg")]
    [InlineData("https://localhost/photo.jpg")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.8/photo.jpg")]
    [InlineData("http://example.com/photo.jpg")]
    public async Task UrlsToLoopbackPrivateOrMetadataAddressesAreRefusedNamingTheInput(string url)
    {
        using var app = new WatiAppFactory();
        var (user, _) = await app.Api().NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", url)))).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("image", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("10", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task AnAllowedUrlIsFetchedAndCheckedLikeAnUploadAndFailuresAreClear400s()
    {
        var (listener, baseUrl, serving, stop) = Serve();
        using var app = new AllowingApp();
        var (user, _) = await app.Api().NewUserAsync();
        var ok = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", baseUrl + "/photo.jpg"), ("scale", 2)))).Expect(200);
        Assert.Equal(128, ok.Json.GetProperty("meta").GetProperty("width").GetInt32());

        var missing = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", baseUrl + "/missing")))).Expect(400, "VALIDATION_ERROR");
        Assert.Contains("HTTP 404", missing.Json.GetProperty("error").GetProperty("message").GetString());
        var redirect = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", JobsApiTests.Form(("image", baseUrl + "/redirect")))).Expect(400, "VALIDATION_ERROR");
        Assert.Contains("redirects", redirect.Json.GetProperty("error").GetProperty("message").GetString());

        // In a batch, a URL that fails to download later fails only its item, refunded.
        var batch = (await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan",
            items = new[]
            {
                new { inputs = new { image = baseUrl + "/photo.jpg" }, @params = new { scale = 1 }, @ref = "good" },
                new { inputs = new { image = baseUrl + "/missing" }, @params = new { scale = 1 }, @ref = "gone" },
            },
        })).Expect(202).Data.GetProperty("id").GetString();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        System.Text.Json.JsonElement view;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the batch did not complete in time");
            await Task.Delay(100);
            view = (await user.GetAsync($"/v1/batches/{batch}")).Expect(200).Data;
        } while (view.GetProperty("state").GetString() != "completed");
        Assert.Equal((1, 1), (view.GetProperty("counts").GetProperty("succeeded").GetInt32(), view.GetProperty("counts").GetProperty("failed").GetInt32()));
        var credits = (await user.GetAsync("/v1/credits")).Expect(200).Data;
        Assert.Equal(("48", "0"), (credits.GetProperty("balance").GetString(), credits.GetProperty("reserved").GetString()));

        stop.Cancel();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default);
        listener.Close();
    }
}
