using System.Net;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

/// <summary>CORS for allow-listed origins only, preflight without auth, and security headers on every answer.</summary>
public sealed class BrowserPolicyTests(BrowserPolicyTests.App app) : IClassFixture<BrowserPolicyTests.App>
{
    public const string Allowed = "https://app.example.com";

    public sealed class App() : WatiAppFactory(new Dictionary<string, string?> { ["Wati:Http:CorsOrigins:0"] = Allowed });

    private static HttpRequestMessage Preflight(string origin)
    {
        var m = new HttpRequestMessage(HttpMethod.Options, "/v1/credits");
        m.Headers.Add("Origin", origin);
        m.Headers.Add("Access-Control-Request-Method", "GET");
        m.Headers.Add("Access-Control-Request-Headers", "authorization");
        return m;
    }

    [Fact]
    public async Task APreflightFromAnAllowedOriginIsAnsweredWithoutAuth()
    {
        var r = await app.CreateClient().SendAsync(Preflight(Allowed));
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        Assert.Equal(Allowed, r.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Authorization", r.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Contains("GET", r.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    [Fact]
    public async Task AnOriginNotOnTheListGetsNoCorsHeaders()
    {
        var r = await app.CreateClient().SendAsync(Preflight("https://evil.example.com"));
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));

        var get = new HttpRequestMessage(HttpMethod.Get, "/v1/prices");
        get.Headers.Add("Origin", "https://evil.example.com");
        var answer = await app.CreateClient().SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AnAllowedOriginSeesTheHeadersClientsNeed()
    {
        var get = new HttpRequestMessage(HttpMethod.Get, "/v1/credits");
        get.Headers.Add("Origin", Allowed);
        var r = await app.CreateClient().SendAsync(get);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(Allowed, r.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var exposed = r.Headers.GetValues("Access-Control-Expose-Headers").Single();
        foreach (var h in new[] { "X-Request-Id", "X-Credits-Charged", "Retry-After", "Location" }) Assert.Contains(h, exposed);
        Assert.Contains("Origin", r.Headers.Vary);
    }

    [Theory]
    [InlineData("/v1/prices")]
    [InlineData("/v1/credits")]
    [InlineData("/no/such/route")]
    [InlineData("/openapi/v1.json")]
    public async Task EveryAnswerCarriesTheSecurityHeaders(string path)
    {
        var r = await app.CreateClient().GetAsync(path);
        Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("default-src 'none'", r.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(r.Headers.Contains("Strict-Transport-Security"), "HSTS only over HTTPS");
    }

    [Fact]
    public async Task HttpsAnswersCarryHsts()
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });
        var r = await client.GetAsync("/healthz");
        Assert.StartsWith("max-age=", r.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task WithoutConfiguredOriginsNoOriginIsAllowed()
    {
        using var plain = new WatiAppFactory();
        var r = await plain.CreateClient().SendAsync(Preflight(Allowed));
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
