using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using Wati.Tests.Support;
using static Wati.Tests.Models.VipsTestImages;
using static Wati.Tests.Uploads.InputSamples;

namespace Wati.Tests.Api;

/// <summary>
/// Uploads as people really send them (issue 7), through the real host on Kestrel: phone orientation,
/// colour profiles, animated and broken files, broken forms, and messages that never leak.
/// </summary>
[Collection(LibVipsCollection.Name)]
public sealed class UploadsApiTests(UploadsApiTests.App app) : IClassFixture<UploadsApiTests.App>
{
    private const string Incomplete = "the image data is incomplete or corrupt";

    /// <summary>The host on a loopback Kestrel port (raw sockets need a real server) with every log entry kept.</summary>
    public sealed class App : WatiAppFactory
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Logs { get; } = new();

        public App() => UseKestrel(0);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureLogging(l => l.AddProvider(new CapturingLoggerProvider(Logs))
                .AddFilter<CapturingLoggerProvider>(null, LogLevel.Debug));
        }
    }

    private readonly ApiClient _api = app.Api();

    private static MultipartFormDataContent Form(params (string Name, object Value)[] fields) => JobsApiTests.Form(fields);

    private static byte[] TransparentFg() => Encode(Flat(4, 4, [0, 0, 0, 0]), ImageFormat.Png);

    private async Task<byte[]> DownloadAsync(ApiResponse r, string? url = null)
    {
        var response = await _api.Http.GetAsync(new Uri(url ?? r.Data.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<string> BalanceAsync(ApiClient user) =>
        (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString()!;

    private static async Task<int> JobCountAsync(ApiClient user) =>
        (await user.GetAsync("/v1/jobs")).Expect(200).Json.GetProperty("pagination").GetProperty("total").GetInt32();

    private IEnumerable<string> ErrorLogs() =>
        app.Logs.Where(l => l.Level >= LogLevel.Error).Select(l => $"{l.Category}: {l.Message}");

    private int RefusedBodies() => app.Logs.Count(l => l.Message.Contains("refused: VALIDATION_ERROR malformed multipart body"));

    [Theory]
    [InlineData("/v1/gfpgan", 200, 400)]
    [InlineData("/v1/replace-style", 200, 400)]
    [InlineData("/v1/replace-background", 200, 400)]
    [InlineData("/v1/portraits/iclight", 256, 512)]
    public async Task PhonePhotosWithOrientation6ComeOutUprightWithTheShownSizeInMeta(string route, int width, int height)
    {
        var (user, _) = await _api.NewUserAsync();
        var photo = Oriented(6); // stored 400x200, shown 200x400
        var form = route switch
        {
            "/v1/gfpgan" => Form(("image", photo), ("scale", 1)),
            "/v1/replace-style" => Form(("image", photo), ("style", "pop-art")),
            "/v1/replace-background" => Form(("fg", TransparentFg()), ("bg", photo)),
            _ => Form(("subject_image", photo), ("prompt", "window light"), ("width", 256), ("height", 512), ("output_format", "png")),
        };

        var r = (await user.SendAsync(HttpMethod.Post, route, form)).Expect(200);

        var meta = r.Json.GetProperty("meta");
        Assert.Equal((width, height), (meta.GetProperty("width").GetInt32(), meta.GetProperty("height").GetInt32()));
        var url = r.Data.TryGetProperty("url", out var single) ? single.GetString() : r.Data.GetProperty("outputs")[0].GetProperty("url").GetString();
        var output = await DownloadAsync(r, url);
        Assert.Equal((width, height), (Decode(output).Width, Decode(output).Height));
        var marker = Pixel(output, width - 1 - width / 16, height / 16); // the stored top-left, shown top-right
        var field = Pixel(output, width / 16, height - 1 - height / 16);
        Assert.True(marker[0] > field[0] + 60 && field[2] > marker[2] + 60,
            $"marker {string.Join(",", marker)} should be red and field {string.Join(",", field)} blue");
    }

    [Fact]
    public async Task ThePixelLimitNamesTheSizeAsShownAndIsCheckedBeforeAnyCharge()
    {
        using var small = new WatiAppFactory(new Dictionary<string, string?> { ["Wati:Uploads:MaxPixels"] = "50000" });
        var (user, _) = await small.Api().NewUserAsync();

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", Oriented(6))))).Expect(400, "VALIDATION_ERROR");

        Assert.Equal("image is 200x400; at most 50000 pixels are accepted", r.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("10", await BalanceAsync(user));
    }

    [Fact]
    public async Task AnAdobeRgbGreenKeepsTheColourAColourManagedViewerShows()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan",
            Form(("image", Tagged(AdobeGreen, AdobeRgbProfile())), ("scale", 1)))).Expect(200);

        AssertColour(AdobeToSrgb(AdobeGreen), Pixel(await DownloadAsync(r), 30, 20), tolerance: 4);
    }

    [Fact]
    public async Task AnAnimatedUploadUsesItsFirstFrameAndMetaSaysSo()
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", AnimatedWebP()), ("scale", 1)))).Expect(200);

        Assert.Equal("image", Assert.Single(r.Json.GetProperty("meta").GetProperty("first_frame_only").EnumerateArray()).GetString());
        var output = await DownloadAsync(r);
        Assert.Equal((30, 20), (Decode(output).Width, Decode(output).Height));
        AssertColour([255, 0, 0], Pixel(output, 15, 10), tolerance: 12);
    }

    public static TheoryData<string, byte[]> BrokenFiles => new()
    {
        { "first 40% of an 800x600 JPEG", FirstPart(Photo800(ImageFormat.Jpeg), 0.4) },
        { "first 40% of an 800x600 PNG", FirstPart(Photo800(ImageFormat.Png), 0.4) },
        { "PNG with random IDAT bytes", RandomIdat() },
        { "23-byte JPEG with only a frame header", HeaderOnlyJpeg() },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public async Task BrokenFilesAre400NamingTheFieldAndChargeNothing(string _, byte[] file)
    {
        var (user, _) = await _api.NewUserAsync();
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", file)))).Expect(400, "VALIDATION_ERROR");

        Assert.Equal("image: " + Incomplete, r.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("image", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        Assert.Equal("10", await BalanceAsync(user));
        Assert.Equal(0, await JobCountAsync(user));
    }

    [Fact]
    public async Task TwoUsersInterleavedEachGetTheirOwnCleanMessage()
    {
        var (a, _) = await _api.NewUserAsync();
        var (b, _) = await _api.NewUserAsync();
        var truncated = FirstPart(Photo800(ImageFormat.Jpeg), 0.4);
        var headerOnly = HeaderOnlyJpeg();
        Task<ApiResponse> A() => a.SendAsync(HttpMethod.Post, "/v1/replace-background", Form(("fg", TransparentFg()), ("bg", truncated)));
        Task<ApiResponse> B() => b.SendAsync(HttpMethod.Post, "/v1/gfpgan", Form(("image", headerOnly)));

        var answers = new List<(ApiResponse Response, string Expected)>();
        for (var round = 0; round < 3; round++)
        {
            answers.Add((await A(), "bg: " + Incomplete));
            answers.Add((await B(), "image: " + Incomplete));
        }
        var (ra, rb) = (A(), B()); // and at the same time
        answers.Add((await ra, "bg: " + Incomplete));
        answers.Add((await rb, "image: " + Incomplete));

        foreach (var (response, expected) in answers)
        {
            response.Expect(400, "VALIDATION_ERROR");
            Assert.Equal(expected, response.Json.GetProperty("error").GetProperty("message").GetString());
            Assert.DoesNotContain("Vips", response.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("premature", response.Body, StringComparison.OrdinalIgnoreCase);
            // The library's words are in the log, under this request's id.
            var requestId = response.Json.GetProperty("request_id").GetString()!;
            Assert.Contains(app.Logs, l => l.Message.Contains(requestId) && l.Message.Contains("incomplete_image"));
        }
        Assert.Equal(("10", "10"), (await BalanceAsync(a), await BalanceAsync(b)));
        Assert.Equal((0, 0), (await JobCountAsync(a), await JobCountAsync(b)));
    }

    private static ByteArrayContent RawMultipart(string declaredBoundary, string body)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body.Replace("\n", "\r\n")));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={declaredBoundary}");
        return content;
    }

    public static TheoryData<string, string, string, string> BrokenForms => new()
    {
        {
            "boundary in the header does not match the body", "HeaderBoundary",
            "--BodyBoundary\nContent-Disposition: form-data; name=\"scale\"\n\n2\n--BodyBoundary--\n", "boundary_mismatch"
        },
        {
            "body cut off before its closing boundary", "B0undary",
            "--B0undary\nContent-Disposition: form-data; name=\"scale\"\n\n2\n--B0undary\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\n\n\u00ff\u00d8\u00ff\u00e0 partial",
            "closing_boundary"
        },
        {
            "a part with no Content-Disposition", "B0undary",
            "--B0undary\nContent-Type: text/plain\n\n2\n--B0undary--\n", "part_disposition"
        },
        {
            "65 small fields", "B0undary",
            string.Concat(Enumerable.Range(0, 65).Select(i => $"--B0undary\nContent-Disposition: form-data; name=\"f{i}\"\n\nx\n")) + "--B0undary--\n",
            "max_parts"
        },
    };

    [Theory]
    [MemberData(nameof(BrokenForms))]
    public async Task BrokenFormsAre400NamingTheRuleWithNoErrorLog(string _, string declaredBoundary, string body, string rule)
    {
        var (user, _) = await _api.NewUserAsync();
        var errorsBefore = ErrorLogs().Count();

        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", RawMultipart(declaredBoundary, body))).Expect(400, "VALIDATION_ERROR");

        Assert.Equal(rule, r.Json.GetProperty("error").GetProperty("details").GetProperty("rule").GetString());
        Assert.StartsWith("malformed multipart body: ", r.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("10", await BalanceAsync(user));
        Assert.Equal(errorsBefore, ErrorLogs().Count());
    }

    /// <summary>Sends raw bytes on a socket: what a client with a dropped or lying connection really sends.</summary>
    private async Task<string> SendRawAsync(string bearer, int contentLength, string body, bool reset)
    {
        var address = app.ClientOptions.BaseAddress;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        var head = $"POST /v1/gfpgan HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer {bearer}\r\n" +
                   $"Content-Type: multipart/form-data; boundary=B0undary\r\nContent-Length: {contentLength}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + body));
        if (reset)
        {
            tcp.Client.LingerState = new LingerOption(true, 0); // RST, as a killed client does
            tcp.Close();
            return "";
        }
        tcp.Client.Shutdown(SocketShutdown.Send); // the body ends here, short of Content-Length
        try
        {
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        }
        catch (IOException)
        {
            return ""; // Kestrel takes the end of the body as the client leaving, and may reset
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyCutShortOfContentLengthOrResetIsNeverA500NorAnErrorLog(bool reset)
    {
        var (user, _) = await _api.NewUserAsync();
        const string part = "--B0undary\r\nContent-Disposition: form-data; name=\"scale\"\r\n\r\n2\r\n";
        var errorsBefore = ErrorLogs().Count();
        var refusedBefore = RefusedBodies();

        var answer = await SendRawAsync(user.Bearer!, part.Length + 500, part, reset);

        // Kestrel treats a client's end of sending as the client leaving, so often no answer arrives;
        // one that does is a 400.
        if (answer.Length > 0) Assert.StartsWith("HTTP/1.1 400", answer);
        for (var i = 0; i < 50 && RefusedBodies() == refusedBefore; i++) await Task.Delay(100); // the server finishes on its own time
        Assert.Equal(refusedBefore + 1, RefusedBodies()); // answered (to nobody) as a 400 of ours
        Assert.Empty(ErrorLogs().Skip(errorsBefore));
        Assert.Equal("10", await BalanceAsync(user));
        Assert.Equal(0, await JobCountAsync(user));
    }

    public sealed class CapturingLoggerProvider(ConcurrentQueue<(LogLevel, string, string)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(sink, categoryName);

        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<(LogLevel, string, string)> sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter) =>
                sink.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
        }
    }
}
