using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Replicate's HTTP API (https://replicate.com/docs/reference/http), the calls the provider needs.
/// Thread-safe and registered once: each call takes a client from <see cref="IHttpClientFactory"/>, so
/// handlers rotate as the factory intends. The token goes only into the <c>Authorization</c> header of
/// requests to <see cref="ReplicateOptions.BaseUrl"/>'s host, and never into a message.
/// </summary>
/// <exception cref="ReplicateException">Every method, when Replicate answers other than 2xx or not at all.</exception>
public sealed class ReplicateClient(IHttpClientFactory factory, IOptions<ReplicateOptions> options, TimeProvider time)
{
    /// <summary>The name of the <see cref="HttpClient"/> registration.</summary>
    public const string HttpClientName = "Wati.Replicate";

    private ReplicateOptions Options => options.Value;
    private Uri BaseUri => new(Options.BaseUrl.TrimEnd('/') + "/");

    /// <summary>
    /// Creates a prediction and lets Replicate hold the answer up to <paramref name="waitSeconds"/>
    /// (<c>Prefer: wait=N</c>). With a <paramref name="version"/> it posts to <c>/v1/predictions</c>,
    /// else to <c>/v1/models/{owner}/{name}/predictions</c>. The answer may still be running.
    /// </summary>
    public async Task<ReplicatePrediction> CreatePredictionAsync(string model, string? version, JsonObject input, int waitSeconds,
        CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["input"] = input };
        string path;
        if (string.IsNullOrEmpty(version)) path = $"v1/models/{model}/predictions";
        else
        {
            path = "v1/predictions";
            body["version"] = version;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri, path)) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Prefer", $"wait={waitSeconds}");
        return await SendForAsync<ReplicatePrediction>(request, cancellationToken);
    }

    /// <summary>Reads a prediction from its <c>urls.get</c>.</summary>
    public async Task<ReplicatePrediction> GetPredictionAsync(Uri url, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        return await SendForAsync<ReplicatePrediction>(request, cancellationToken);
    }

    /// <summary>Asks Replicate to cancel a prediction through its <c>urls.cancel</c>.</summary>
    public async Task CancelPredictionAsync(Uri url, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        using var response = await SendAsync(request, cancellationToken);
    }

    /// <summary>Uploads a file (<c>POST /v1/files</c>, multipart field <c>content</c>); answers its <c>urls.get</c>.</summary>
    public async Task<Uri> UploadFileAsync(byte[] content, string contentType, string fileName, CancellationToken cancellationToken = default)
    {
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var form = new MultipartFormDataContent { { file, "content", fileName } };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri, "v1/files")) { Content = form };
        var created = await SendForAsync<ReplicateFile>(request, cancellationToken);
        return created.Urls?.Get is { } get && Uri.TryCreate(get, UriKind.Absolute, out var uri)
            ? uri
            : throw new ReplicateException(502, "Replicate answered a file upload without urls.get");
    }

    /// <summary>Downloads an output file (an absolute URL from a prediction's <c>output</c>).</summary>
    public async Task<byte[]> DownloadAsync(Uri url, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await SendAsync(request, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary><c>GET /v1/account</c>: the cheapest authenticated call, for readiness.</summary>
    public async Task GetAccountAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "v1/account"));
        using var response = await SendAsync(request, cancellationToken);
    }

    private async Task<T> SendForAsync<T>(HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await SendAsync(request, ct);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ct)
                   ?? throw new ReplicateException(502, $"Replicate answered {request.Method} {request.RequestUri?.AbsolutePath} with an empty body");
        }
        catch (JsonException e)
        {
            throw new ReplicateException(502, $"Replicate answered {request.Method} {request.RequestUri?.AbsolutePath} with unreadable JSON", inner: e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // Output files may live on another host (replicate.delivery): the token is for the API only.
        if (request.RequestUri is { } uri && Uri.Compare(uri, BaseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped,
                StringComparison.OrdinalIgnoreCase) == 0)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);

        HttpResponseMessage response;
        try
        {
            response = await factory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            // HttpClient.Timeout, not our caller: as good as no answer.
            throw new ReplicateException(0, $"Replicate did not answer {request.Method} {request.RequestUri?.AbsolutePath} in time", inner: e);
        }
        catch (HttpRequestException e)
        {
            // A connection failure: no answer, worth another try. The message names the host, never headers.
            throw new ReplicateException(0, $"Replicate could not be reached ({request.Method} {request.RequestUri?.Host}): {e.Message}", inner: e);
        }
        if (response.IsSuccessStatusCode) return response;

        using (response)
        {
            var detail = await ReadDetailAsync(response, ct);
            var status = (int)response.StatusCode;
            throw new ReplicateException(status,
                Redact($"Replicate answered {status} to {request.Method} {request.RequestUri?.AbsolutePath}{(detail is null ? "" : ": " + detail)}"),
                RetryAfterOf(response));
        }
    }

    /// <summary>An answer that echoes the token (none should) must not carry it into a log.</summary>
    private string Redact(string message) =>
        string.IsNullOrEmpty(Options.Token) ? message : message.Replace(Options.Token, "[redacted]", StringComparison.Ordinal);

    /// <summary>Replicate's errors are problem details (<c>detail</c>, <c>title</c>); keep the message short.</summary>
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            foreach (var name in (string[])["detail", "title", "error"])
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v))
                    return v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
        }
        catch (JsonException)
        {
        }
        return text.Length == 0 ? null : text[..Math.Min(text.Length, 300)];
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
