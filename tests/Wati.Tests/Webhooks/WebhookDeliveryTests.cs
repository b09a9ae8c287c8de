using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Webhooks;

/// <summary>A loopback receiver that fails twice, then verifies the signature over the raw bytes (issue 12's "done when").</summary>
[Collection(LibVipsCollection.Name)]
public sealed class WebhookDeliveryTests
{
    private sealed class App() : WatiAppFactory(new Dictionary<string, string?>
    {
        ["Wati:Credits:SignupBonus"] = "20",
        ["Wati:Batches:FeedIntervalMilliseconds"] = "50",
        ["Wati:Webhooks:AllowLoopback"] = "true",
        ["Wati:Webhooks:FirstRetryMilliseconds"] = "100",
    });

    private sealed record Received(string EventId, string Signature, byte[] Body, int Answered);

    [Fact]
    public async Task ALoopbackReceiverGetsBatchCompletedOnceWithAValidSignatureAfterFailingTwice()
    {
        var received = new ConcurrentQueue<Received>();
        // A plain HttpListener: a second ASP.NET Core host in the test process would confuse WebApplicationFactory.
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var hookUrl = $"http://127.0.0.1:{port}/hook";
        using var receiver = new System.Net.HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        using var stopReceiver = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stopReceiver.IsCancellationRequested)
            {
                var context = await receiver.GetContextAsync().WaitAsync(stopReceiver.Token);
                using var buffer = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(buffer);
                var status = received.Count < 2 ? 500 : 200;
                received.Enqueue(new Received(context.Request.Headers["Wati-Event-Id"] ?? "", context.Request.Headers["Wati-Signature"] ?? "",
                    buffer.ToArray(), status));
                context.Response.StatusCode = status;
                context.Response.Close();
            }
        });

        using var app = new App();
        var api = app.Api();
        var (user, _) = await api.NewUserAsync();
        var secret = (await user.GetAsync("/v1/webhooks/secret")).Expect(200).Data.GetProperty("secret").GetString()!;
        var form = new MultipartFormDataContent { { new ByteArrayContent(VipsTestImages.Photo(48, 32)), "file", "p.jpg" } };
        var upload = (await user.SendAsync(HttpMethod.Post, "/v1/uploads", form)).Expect(201).Data.GetProperty("items")[0].GetProperty("id").GetString();
        var batchId = (await user.PostJsonAsync("/v1/batches", new
        {
            model = "gfpgan", webhook_url = hookUrl,
            items = new[] { new { inputs = new { image = upload }, @params = new { scale = 1 } } },
        })).Expect(202).Data.GetProperty("id").GetString();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!received.Any(r => r.Answered == 200))
        {
            Assert.True(DateTime.UtcNow < deadline, "the webhook was not delivered in time");
            await Task.Delay(50);
        }
        await Task.Delay(500); // nothing more may come after the delivered attempt
        var all = received.ToList();
        Assert.Equal([500, 500, 200], all.Select(r => r.Answered));
        Assert.Single(all.Select(r => r.EventId).Distinct());
        Assert.StartsWith("evt_", all[0].EventId);

        // What a receiver does: HMAC over "{t}." + the raw body bytes, compared in constant time, t recent.
        var delivered = all[2];
        var parts = delivered.Signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var t = long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t, -5, 300);
        byte[] signedBytes = [.. Encoding.UTF8.GetBytes(parts["t"] + "."), .. delivered.Body];
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signedBytes);
        Assert.True(CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(parts["v1"])));
        var json = System.Text.Json.JsonDocument.Parse(delivered.Body).RootElement;
        Assert.Equal(("batch.completed", batchId), (json.GetProperty("type").GetString(), json.GetProperty("data").GetProperty("batch_id").GetString()));

        var log = (await user.GetAsync($"/v1/batches/{batchId}/deliveries")).Expect(200).Data.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([500, 500, 200], log.Select(l => l.GetProperty("status_code").GetInt32()));
        Assert.Equal([false, false, true], log.Select(l => l.GetProperty("delivered").GetBoolean()));

        // A rotated secret is a different one.
        Assert.NotEqual(secret, (await user.SendAsync(HttpMethod.Post, "/v1/webhooks/secret/rotate")).Expect(200).Data.GetProperty("secret").GetString());
        stopReceiver.Cancel();
        await serving.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
