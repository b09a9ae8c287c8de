using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wati.Tests.Support;

/// <summary>An answer: status, headers and the parsed envelope, with the checks every answer must pass.</summary>
public sealed class ApiResponse(HttpResponseMessage response, string body)
{
    public HttpStatusCode Status => response.StatusCode;
    public int Code => (int)response.StatusCode;
    public HttpResponseHeaders Headers => response.Headers;
    public HttpContentHeaders ContentHeaders => response.Content.Headers;
    public string Body { get; } = body;
    public JsonElement Json { get; } = JsonDocument.Parse(body).RootElement;

    public JsonElement Data => Json.GetProperty("data");
    public string? ErrorCode => Json.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;

    /// <summary>Asserts the status, the envelope shape and (for errors) the error code.</summary>
    public ApiResponse Expect(int status, string? errorCode = null)
    {
        Assert.True(status == Code, $"wanted HTTP {status}, got {Code}: {Body}");
        var requestId = Json.GetProperty("request_id").GetString();
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Equal(requestId, Headers.GetValues("X-Request-Id").Single());
        Assert.Equal(status >= 400 ? "error" : "success", Json.GetProperty("status").GetString());
        if (status >= 400)
        {
            var error = Json.GetProperty("error");
            Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
            Assert.True(error.TryGetProperty("details", out _));
            if (errorCode is not null) Assert.Equal(errorCode, error.GetProperty("code").GetString());
            Assert.DoesNotContain("   at ", Body);
        }
        else
        {
            Assert.Equal(JsonValueKind.Object, Json.GetProperty("meta").ValueKind);
        }
        return this;
    }
}

public sealed class ApiClient(HttpClient http)
{
    public HttpClient Http => http;
    public string? Bearer { get; set; }

    public ApiClient As(string? bearer) => new(http) { Bearer = bearer };

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);
    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);
    public Task<ApiResponse> PostJsonAsync(string path, object body) => SendAsync(HttpMethod.Post, path, JsonContent(JsonSerializer.Serialize(body)));
    public Task<ApiResponse> PostRawAsync(string path, string json) => SendAsync(HttpMethod.Post, path, JsonContent(json));

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (Bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Bearer);
        configure?.Invoke(request);
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        // Every answer any API test receives is checked against the OpenAPI document.
        ContractValidator.Validate(method, path, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        return new ApiResponse(response, body);
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Registers a fresh user and returns a client that calls as them, with their id.</summary>
    public async Task<(ApiClient Client, string UserId)> NewUserAsync(string? email = null)
    {
        email ??= $"u{Guid.NewGuid():N}@example.com";
        var r = (await PostJsonAsync("/v1/auth/register", new { email, password = "correct horse battery", display_name = "Test" })).Expect(201);
        return (As(r.Data.GetProperty("access_token").GetString()), r.Data.GetProperty("user").GetProperty("id").GetString()!);
    }

    public async Task<ApiClient> AdminAsync()
    {
        var r = (await PostJsonAsync("/v1/auth/login", new { email = WatiAppFactory.AdminEmail, password = WatiAppFactory.AdminPassword })).Expect(200);
        return As(r.Data.GetProperty("access_token").GetString());
    }
}
