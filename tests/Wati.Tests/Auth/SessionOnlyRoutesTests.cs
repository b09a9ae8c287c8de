using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 6: an API key cannot mint keys, revoke its owner's keys, or read or rotate the
/// webhook secret (a leaked key would become permanent); an access token can. Listing keys (no secrets,
/// no change) stays open to a key.
/// </summary>
public sealed class SessionOnlyRoutesTests(SessionOnlyRoutesTests.App app) : IClassFixture<SessionOnlyRoutesTests.App>
{
    public sealed class App() : WatiAppFactory();

    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task AnApiKeyCannotManageKeysOrTheWebhookSecretButATokenCan()
    {
        var (user, _) = await _api.NewUserAsync();
        var created = (await user.PostJsonAsync("/v1/api-keys", new { name = "leaked" })).Expect(201);
        var withKey = _api.As(created.Data.GetProperty("key").GetString());
        var keyId = created.Data.GetProperty("id").GetString();
        var other = (await user.PostJsonAsync("/v1/api-keys", new { name = "other" })).Expect(201).Data.GetProperty("id").GetString();

        var denied = new[]
        {
            await withKey.PostJsonAsync("/v1/api-keys", new { name = "persistence" }),
            await withKey.DeleteAsync($"/v1/api-keys/{other}"),
            await withKey.DeleteAsync($"/v1/api-keys/{keyId}"),
            await withKey.GetAsync("/v1/webhooks/secret"),
            await withKey.SendAsync(HttpMethod.Post, "/v1/webhooks/secret/rotate"),
        };
        foreach (var r in denied)
        {
            r.Expect(403, "PERMISSION_DENIED");
            Assert.Contains("access token", r.Json.GetProperty("error").GetProperty("message").GetString());
        }

        var listed = (await withKey.GetAsync("/v1/api-keys")).Expect(200);
        Assert.Equal(2, listed.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.All(listed.Data.GetProperty("items").EnumerateArray(), k => Assert.Equal(System.Text.Json.JsonValueKind.Null, k.GetProperty("revoked_at").ValueKind));
        (await withKey.GetAsync("/v1/credits")).Expect(200); // the key still works where it should

        var secret = (await user.GetAsync("/v1/webhooks/secret")).Expect(200).Data.GetProperty("secret").GetString();
        Assert.NotEqual(secret, (await user.SendAsync(HttpMethod.Post, "/v1/webhooks/secret/rotate")).Expect(200).Data.GetProperty("secret").GetString());
        (await user.DeleteAsync($"/v1/api-keys/{other}")).Expect(200);
    }
}
