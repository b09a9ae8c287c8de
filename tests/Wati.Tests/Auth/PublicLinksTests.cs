using System.Text.Json;
using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Storage;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 10: links are never built from a caller's <c>Host</c> header: <c>Wati:PublicBaseUrl</c>
/// when set, else only a host that ASP.NET Core's host filtering allows (<c>AllowedHosts</c>); the server
/// answers 400 to any other host.
/// </summary>
public sealed class PublicLinksTests(PublicLinksTests.App app) : IClassFixture<PublicLinksTests.App>
{
    public sealed class App() : WatiAppFactory();

    [Fact]
    public async Task TheServerRefusesAHostItDoesNotServeAndLinksNameAnAllowedOne()
    {
        var http = app.CreateClient();
        using var evil = new HttpRequestMessage(HttpMethod.Get, "/v1/prices");
        evil.Headers.Host = "attacker.example";
        var refused = await http.SendAsync(evil);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using (var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Equal("VALIDATION_ERROR", body.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal("Host", body.RootElement.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        }

        var registered = (await app.Api().PostJsonAsync("/v1/auth/register",
            new { email = $"links{Guid.NewGuid():N}@example.com", password = "correct horse battery" })).Expect(201);
        Assert.Equal("http://localhost/v1/users/me", registered.Headers.Location?.ToString());
    }

    [Theory]
    [InlineData("*", "attacker.example", RequestBaseUrl.Fallback)]
    [InlineData("", "attacker.example:8443", RequestBaseUrl.Fallback)]
    [InlineData("api.example.com", "attacker.example", RequestBaseUrl.Fallback)]
    [InlineData("api.example.com", "API.example.com:8443", "https://API.example.com:8443")]
    [InlineData("*.example.com", "eu.example.com", "https://eu.example.com")]
    [InlineData("localhost;[::1]", "[::1]:7072", "https://[::1]:7072")]
    public void LinksUseTheRequestHostOnlyWhenItIsAllowed(string allowedHosts, string host, string expected) =>
        Assert.Equal(expected, BaseUrl(allowedHosts, host, configured: null));

    [Fact]
    public void TheConfiguredPublicBaseUrlWinsOverEveryHost() =>
        Assert.Equal("https://cdn.example.com", BaseUrl("*", "attacker.example", configured: "https://cdn.example.com/"));

    private static string BaseUrl(string allowedHosts, string host, string? configured)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString(host);
        var filtering = new HostFilteringOptions { AllowedHosts = allowedHosts.Split(';', StringSplitOptions.RemoveEmptyEntries) };
        return new RequestBaseUrl(new HttpContextAccessor { HttpContext = context }, Options.Create(new WatiOptions { PublicBaseUrl = configured }),
            Options.Create(filtering)).Get();
    }
}
