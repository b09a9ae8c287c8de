using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;

namespace Wati.Platform.Http;

/// <summary>Writes an envelope with the platform's JSON rules, in either host.</summary>
public interface IEnvelopeResult : IResult
{
    /// <summary>Extra response headers (Location, Retry-After, X-Credits-Charged...).</summary>
    Dictionary<string, string> Headers { get; }
}

public sealed class EnvelopeResult<T>(Envelope<T> body, int status) : IEnvelopeResult, IStatusCodeHttpResult
{
    public Envelope<T> Body { get; } = body;
    public int StatusCode { get; } = status;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>Extra response headers (Location, Retry-After, X-Credits-Charged...).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.Headers[RequestIds.Header] = Body.RequestId;
        response.Headers.CacheControl = "no-store";
        foreach (var (name, value) in Headers) response.Headers[name] = value;
        response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(response.Body, Body, WatiJson.Options, httpContext.RequestAborted);
    }
}
