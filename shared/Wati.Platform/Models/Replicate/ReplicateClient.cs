using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Replicate's HTTP API (https://replicate.com/docs/reference/http), the calls the provider needs.
/// Thread-safe and registered once: each call takes a client from <see cref="IHttpClientFactory"/>, so
/// handlers rotate as the factory intends. The token goes only into the <c>Authorization</c> header of
/// requests to <see cref="ReplicateOptions.BaseUrl"/>'s host, and never into a message.
/// </summary>
/// <exception cref="ReplicateException">Every method, when Replicate answers other than 2xx or not at all.</exception>
public sealed partial class ReplicateClient(IHttpClientFactory factory, IOptions<ReplicateOptions> options, TimeProvider time)
{
    /// <summary>The name of the <see cref="HttpClient"/> registration.</summary>
    public const string HttpClientName = "Wati.Replicate";

    /// <summary>Replicate's prediction deadline header (see <see cref="CreatePredictionAsync"/>).</summary>
    public const string CancelAfterHeader = "Cancel-After";

    private ReplicateOptions Options => options.Value;
    private Uri BaseUri => ReplicateOptions.ApiRoot(Options.BaseUrl);

    /// <summary>
    /// Creates a prediction and lets Replicate hold the answer up to <paramref name="waitSeconds"/>
    /// (<c>Prefer: wait=N</c>). With a <paramref name="version"/> it posts to <c>/v1/predictions</c>,
    /// else to <c>/v1/models/{owner}/{name}/predictions</c>. The answer may still be running.
    /// <paramref name="cancelAfter"/> goes out as the <c>Cancel-After</c> header (whole seconds, e.g. <c>570s</c>):
    /// Replicate cancels the prediction itself if it has not completed by then (aborted if it never started),
    /// so one we stopped watching does not run on and bill (https://replicate.com/changelog/2025-10-16-prediction-deadlines,
    /// "Set a deadline by including a Cancel-After header when creating a prediction").
    /// </summary>
    public async Task<ReplicatePrediction> CreatePredictionAsync(string model, string? version, JsonObject input, int waitSeconds,
        CancellationToken cancellationToken = default, TimeSpan? cancelAfter = null)
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
        if (cancelAfter is { } deadline && deadline > TimeSpan.Zero)
            request.Headers.TryAddWithoutValidation(CancelAfterHeader, $"{(long)Math.Ceiling(deadline.TotalSeconds)}s");
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

    /// <summary>
    /// Readiness: looks <paramref name="model"/> up (<c>GET /v1/models/{owner}/{name}</c>) or, with a
    /// <paramref name="version"/>, that version (<c>GET /v1/models/{owner}/{name}/versions/{id}</c>).
    /// </summary>
    public async Task GetModelAsync(string model, string? version, CancellationToken cancellationToken = default)
    {
        var path = string.IsNullOrEmpty(version) ? $"v1/models/{model}" : $"v1/models/{model}/versions/{version}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, path));
        using var response = await SendAsync(request, cancellationToken);
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
            var (title, detail) = await ReadDetailAsync(response, ct);
            var status = (int)response.StatusCode;
            throw new ReplicateException(status,
                Redact($"Replicate answered {status} to {request.Method} {request.RequestUri?.AbsolutePath}{(detail is null ? "" : ": " + detail)}"),
                RetryAfterOf(response, detail))
            {
                Title = title is null ? null : Redact(title),
            };
        }
    }

    /// <summary>An answer that echoes the token (none should) must not carry it into a log.</summary>
    private string Redact(string message) =>
        string.IsNullOrEmpty(Options.Token) ? message : message.Replace(Options.Token, "[redacted]", StringComparison.Ordinal);

    /// <summary>
    /// Replicate's errors are problem details (<c>title</c>, <c>detail</c>); both cut to
    /// <see cref="OutsideText.ErrorMaxChars"/> (they are outside text and end up in job rows and logs).
    /// </summary>
    private static async Task<(string? Title, string? Detail)> ReadDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                string? Field(string name) => doc.RootElement.TryGetProperty(name, out var v)
                    ? OutsideText.Bound(v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText())
                    : null;
                var title = Field("title");
                return (title, Field("detail") ?? title ?? Field("error"));
            }
        }
        catch (JsonException)
        {
        }
        return (null, text.Length == 0 ? null : text[..Math.Min(text.Length, 300)]);
    }

    /// <summary>
    /// When to come back: the <c>Retry-After</c> header if there is one, else the hint in a 429's body, which
    /// is where Replicate puts it (<c>{"detail":"Request was throttled. Your rate limit resets in ~30s."}</c>,
    /// https://replicate.com/docs/topics/predictions/rate-limits; also the older "Expected available in 30 seconds.").
    /// </summary>
    private TimeSpan? RetryAfterOf(HttpResponseMessage response, string? detail) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => (int)response.StatusCode == 429 ? HintOf(detail) : null,
    };

    /// <summary>"resets in ~30s", "available in 30 seconds", "in 2 minutes": the wait the text names, if any.</summary>
    internal static TimeSpan? HintOf(string? detail)
    {
        if (detail is null || ThrottleHint().Match(detail) is not { Success: true } m ||
            !double.TryParse(m.Groups["n"].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
            return null;
        var unit = m.Groups["unit"].Value.ToLowerInvariant();
        var seconds = unit.StartsWith("ms", StringComparison.Ordinal) ? n / 1000 : unit.StartsWith('m') ? n * 60 : n;
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 24 * 3600));
    }

    [GeneratedRegex(@"\bin\s*~?\s*(?<n>\d+(?:\.\d+)?)\s*(?<unit>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ThrottleHint();
}
