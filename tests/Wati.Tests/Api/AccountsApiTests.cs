using System.Text.Json;
using Wati.Tests.Support;

namespace Wati.Tests.Api;

public sealed class AccountsApiTests(AccountsApiTests.App app) : IClassFixture<AccountsApiTests.App>
{
    public sealed class App() : WatiAppFactory();

    private readonly ApiClient _api = app.Api();

    [Fact]
    public async Task RegisterAnswers201WithUserTokenAndBonus()
    {
        var r = (await _api.PostJsonAsync("/v1/auth/register",
            new { email = "  Mixed.Case@Example.COM ", password = "correct horse battery", display_name = "Mixed" })).Expect(201);

        var user = r.Data.GetProperty("user");
        Assert.Equal("mixed.case@example.com", user.GetProperty("email").GetString());
        Assert.Equal("Mixed", user.GetProperty("display_name").GetString());
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$", user.GetProperty("created_at").GetString());
        Assert.Equal("Bearer", r.Data.GetProperty("token_type").GetString());
        Assert.Equal(3600, r.Data.GetProperty("expires_in").GetInt32());

        var me = _api.As(r.Data.GetProperty("access_token").GetString());
        var credits = (await me.GetAsync("/v1/credits")).Expect(200);
        Assert.Equal("10", credits.Data.GetProperty("balance").GetString());
        Assert.Equal("0", credits.Data.GetProperty("reserved").GetString());
    }

    [Fact]
    public async Task TakenEmailIs409WhateverItsCase()
    {
        await _api.PostJsonAsync("/v1/auth/register", new { email = "taken@example.com", password = "correct horse battery" });
        (await _api.PostJsonAsync("/v1/auth/register", new { email = "TAKEN@example.com", password = "another long one" }))
            .Expect(409, "ALREADY_EXISTS");
    }

    [Theory]
    [InlineData("a\u0000b")]
    [InlineData("admin\u202Egnp.exe")]
    [InlineData("tab\there")]
    public async Task DisplayNamesWithControlOrBidiFormattingCharactersAre400(string name)
    {
        var email = $"name{Guid.NewGuid():N}@example.com";
        var r = (await _api.PostJsonAsync("/v1/auth/register", new { email, password = "correct horse battery", display_name = name }))
            .Expect(400, "VALIDATION_ERROR");
        Assert.Equal("display_name", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        // Nothing written: the e-mail is still free.
        (await _api.PostJsonAsync("/v1/auth/register", new { email, password = "correct horse battery", display_name = "Ana" })).Expect(201);
    }

    [Theory]
    [InlineData("""{"email":"nobody","password":"correct horse battery"}""")]
    [InlineData("""{"email":"a@example.com","password":"short"}""")]
    [InlineData("""{"password":"correct horse battery"}""")]
    [InlineData("""{"email":12,"password":[1]}""")]
    [InlineData("""{"email":""")]
    [InlineData("""[]""")]
    [InlineData("""null""")]
    [InlineData("")]
    public async Task BadRegistrationsAre400WithNothingWritten(string body)
    {
        (await _api.PostRawAsync("/v1/auth/register", body)).Expect(400, "VALIDATION_ERROR");
        (await _api.PostJsonAsync("/v1/auth/login", new { email = "a@example.com", password = "short" })).Expect(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task LoginWithRightPasswordAnswersTheSameShapeAsRegister()
    {
        var email = $"login{Guid.NewGuid():N}@example.com";
        await _api.PostJsonAsync("/v1/auth/register", new { email, password = "correct horse battery" });

        var ok = (await _api.PostJsonAsync("/v1/auth/login", new { email, password = "correct horse battery" })).Expect(200);
        Assert.Equal(email, ok.Data.GetProperty("user").GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(ok.Data.GetProperty("access_token").GetString()));

        (await _api.PostJsonAsync("/v1/auth/login", new { email, password = "wrong horse battery" })).Expect(401, "UNAUTHENTICATED");
        (await _api.PostJsonAsync("/v1/auth/login", new { email = "ghost@example.com", password = "whatever it is" })).Expect(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task MeAnswersTheProfileAndNeedsAuthentication()
    {
        var (user, id) = await _api.NewUserAsync();
        var me = (await user.GetAsync("/v1/users/me")).Expect(200);
        Assert.Equal(id, me.Data.GetProperty("id").GetString());
        foreach (var field in new[] { "email", "display_name", "role", "created_at" }) Assert.True(me.Data.TryGetProperty(field, out _), field);

        (await _api.GetAsync("/v1/users/me")).Expect(401, "UNAUTHENTICATED");
        (await _api.As("x.y.z").GetAsync("/v1/users/me")).Expect(401, "UNAUTHENTICATED");
        (await _api.As("wati_notarealkey").GetAsync("/v1/users/me")).Expect(401, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task ApiKeyIsShownOnceWorksListsWithoutSecretAndStopsWorkingWhenRevoked()
    {
        var (user, id) = await _api.NewUserAsync();
        var created = (await user.PostJsonAsync("/v1/api-keys", new { name = "ci" })).Expect(201);
        var key = created.Data.GetProperty("key").GetString()!;
        var keyId = created.Data.GetProperty("id").GetString()!;
        Assert.StartsWith("wati_", key);
        Assert.True(key.Length >= 5 + 43, "32 random bytes in base64url");
        Assert.StartsWith(created.Data.GetProperty("prefix").GetString()!, key);

        var withKey = _api.As(key);
        Assert.Equal(id, (await withKey.GetAsync("/v1/users/me")).Expect(200).Data.GetProperty("id").GetString());

        var list = (await withKey.GetAsync("/v1/api-keys")).Expect(200);
        Assert.DoesNotContain(key, list.Body);
        Assert.Equal(1, list.Json.GetProperty("pagination").GetProperty("total").GetInt32());
        var listed = list.Data.GetProperty("items")[0];
        Assert.Equal(keyId, listed.GetProperty("id").GetString());
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("last_used_at").ValueKind);

        (await user.DeleteAsync($"/v1/api-keys/{keyId}")).Expect(200);
        (await withKey.GetAsync("/v1/credits")).Expect(401, "UNAUTHENTICATED");
        (await user.DeleteAsync($"/v1/api-keys/{keyId}")).Expect(200);
    }

    [Fact]
    public async Task AnotherUsersKeyCannotBeRevoked()
    {
        var (owner, _) = await _api.NewUserAsync();
        var (other, _) = await _api.NewUserAsync();
        var created = (await owner.PostJsonAsync("/v1/api-keys", new { name = "mine" })).Expect(201);
        var keyId = created.Data.GetProperty("id").GetString();

        (await other.DeleteAsync($"/v1/api-keys/{keyId}")).Expect(404, "NOT_FOUND");
        (await _api.As(created.Data.GetProperty("key").GetString()).GetAsync("/v1/credits")).Expect(200);
        (await owner.PostJsonAsync("/v1/api-keys", new { name = "" })).Expect(400, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task LedgerIsPaginatedNewestFirst()
    {
        var (user, id) = await _api.NewUserAsync();
        var admin = await _api.AdminAsync();
        for (var i = 1; i <= 3; i++) (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = i, reason = $"grant {i}" })).Expect(200);

        var page = (await user.GetAsync("/v1/credits/ledger?page=1&page_size=2")).Expect(200);
        var p = page.Json.GetProperty("pagination");
        Assert.Equal((4, 1, 2, 2), (p.GetProperty("total").GetInt32(), p.GetProperty("page").GetInt32(),
            p.GetProperty("page_size").GetInt32(), p.GetProperty("total_pages").GetInt32()));
        var first = page.Data.GetProperty("items")[0];
        Assert.Equal("grant 3", first.GetProperty("reason").GetString());
        Assert.Equal("3", first.GetProperty("amount").GetString());
        Assert.Equal("16", first.GetProperty("balance_after").GetString());

        var last = (await user.GetAsync("/v1/credits/ledger?page=2&page_size=2")).Expect(200);
        Assert.Equal("signup bonus", last.Data.GetProperty("items")[1].GetProperty("reason").GetString());
        (await user.GetAsync("/v1/credits/ledger?page_size=101")).Expect(400, "VALIDATION_ERROR");
        (await user.GetAsync("/v1/credits/ledger?page=0")).Expect(400, "VALIDATION_ERROR");
        (await user.GetAsync("/v1/credits/ledger?page=abc")).Expect(400, "VALIDATION_ERROR");
        Assert.Equal(20, (await user.GetAsync("/v1/credits/ledger")).Expect(200).Json.GetProperty("pagination").GetProperty("page_size").GetInt32());
    }

    [Fact]
    public async Task AdminGrantsAndTakesBackCreditsButUsersMayNot()
    {
        var (user, id) = await _api.NewUserAsync();
        var admin = await _api.AdminAsync();

        (await user.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = 5, reason = "self" })).Expect(403, "PERMISSION_DENIED");
        (await _api.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = 5, reason = "anon" })).Expect(401, "UNAUTHENTICATED");

        var granted = (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{id}}","amount":"1000","reason":"top-up"}""")).Expect(200);
        Assert.Equal("1010", granted.Data.GetProperty("balance").GetString());
        (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = -10, reason = "correction" })).Expect(200);
        (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = -5000, reason = "too much" })).Expect(400, "VALIDATION_ERROR");
        (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = "usr_nobody", amount = 5, reason = "x" })).Expect(404, "NOT_FOUND");
        (await admin.PostJsonAsync("/v1/admin/credits", new { user_id = id, amount = 0, reason = "x" })).Expect(400, "VALIDATION_ERROR");
        (await admin.PostRawAsync("/v1/admin/credits", $$"""{"user_id":"{{id}}","amount":"lots","reason":"x"}""")).Expect(400, "VALIDATION_ERROR");

        Assert.Equal("1000", (await user.GetAsync("/v1/credits")).Expect(200).Data.GetProperty("balance").GetString());
    }

    [Fact]
    public async Task PricesArePublicAndPerModel()
    {
        var r = (await _api.GetAsync("/v1/prices")).Expect(200);
        var prices = r.Data.GetProperty("items").EnumerateArray().ToDictionary(p => p.GetProperty("model").GetString()!, p => p);
        Assert.Equal("1", prices["gfpgan"].GetProperty("credits").GetString());
        Assert.Equal("2", prices["replace-style"].GetProperty("credits").GetString());
        Assert.Equal("2", prices["replace-background"].GetProperty("credits").GetString());
        Assert.Equal("3", prices["iclight"].GetProperty("credits").GetString());
        Assert.Equal("image", prices["iclight"].GetProperty("per").GetString());
    }

    [Fact]
    public async Task UnknownRoutesWrongMethodsAndOversizedBodiesAnswerInTheEnvelope()
    {
        (await _api.GetAsync("/v1/nothing-here")).Expect(404, "NOT_FOUND");
        (await _api.GetAsync("/")).Expect(404, "NOT_FOUND");
        (await _api.GetAsync("/favicon.ico")).Expect(404, "NOT_FOUND");
        (await _api.SendAsync(HttpMethod.Put, "/v1/auth/login")).Expect(405, "METHOD_NOT_ALLOWED");
        var wrong = (await _api.DeleteAsync("/v1/credits")).Expect(405, "METHOD_NOT_ALLOWED");
        // RFC 9110 section 15.5.6: a 405 carries Allow (the new-user check found none).
        Assert.Equal(["GET"], wrong.ContentHeaders.Allow);
        Assert.Equal(["GET"], wrong.Json.GetProperty("error").GetProperty("details").GetProperty("allowed").EnumerateArray().Select(m => m.GetString()));
        var big = new string('x', 70_000);
        (await _api.PostRawAsync("/v1/auth/login", $$"""{"email":"{{big}}"}""")).Expect(413, "PAYLOAD_TOO_LARGE");
        (await _api.SendAsync(HttpMethod.Post, "/v1/auth/login", new StringContent("email=a", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded")))
            .Expect(415, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Fact]
    public async Task ClientRequestIdIsKeptWhenSaneAndReplacedOtherwise()
    {
        var kept = await _api.SendAsync(HttpMethod.Get, "/healthz", configure: r => r.Headers.Add("X-Request-Id", "client-abc.123"));
        Assert.Equal("client-abc.123", kept.Expect(200).Json.GetProperty("request_id").GetString());

        var replaced = await _api.SendAsync(HttpMethod.Get, "/healthz", configure: r => r.Headers.Add("X-Request-Id", "bad id <script>"));
        Assert.StartsWith("req_", replaced.Expect(200).Json.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task ReadinessReportsEachAdapter()
    {
        var r = (await _api.GetAsync("/readyz")).Expect(200);
        Assert.Equal("ok", r.Data.GetProperty("checks").GetProperty("tables").GetString());
    }
}
