using System.Buffers;
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
    private Dictionary<string, string>? _headers;

    public Envelope<T> Body { get; } = body;
    public int StatusCode { get; } = status;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>Extra response headers (Location, Retry-After, X-Credits-Charged...); created on first use.</summary>
    public Dictionary<string, string> Headers => _headers ??= new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Serializes the body synchronously into a per-thread buffer, so the answer carries its
    /// <c>Content-Length</c> and reaches the socket in one flush (no chunked encoding, no per-call stream
    /// plumbing), then copies it to the response.
    /// </summary>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.Headers[RequestIds.Header] = Body.RequestId;
        response.Headers.CacheControl = "no-store";
        if (_headers is not null)
            foreach (var (name, value) in _headers) response.Headers[name] = value;
        response.ContentType = "application/json; charset=utf-8";

        var buffer = JsonBuffer.Rent();
        try
        {
            JsonBuffer.Serialize(buffer, Body);
            response.ContentLength = buffer.WrittenCount;
            response.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            JsonBuffer.Return(buffer);
        }
        var flush = response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }
}

/// <summary>
/// One reusable JSON output buffer and writer per thread for envelopes. Used only synchronously (rent,
/// write, copy out, return), so an await can never hand it to another request.
/// </summary>
internal static class JsonBuffer
{
    /// <summary>Buffers grown beyond this by a large answer are dropped after use, not kept per thread.</summary>
    private const int MaxRetainedBytes = 256 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static ArrayBufferWriter<byte> Rent()
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(4096);
        t_buffer = null; // A nested rent on this thread (none today) gets its own.
        return buffer;
    }

    public static void Serialize<T>(ArrayBufferWriter<byte> buffer, T value)
    {
        var writer = t_writer;
        if (writer is null) t_writer = writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        else writer.Reset(buffer);
        try
        {
            JsonSerializer.Serialize(writer, value, EnvelopeJson.Options);
            writer.Flush();
        }
        finally
        {
            writer.Reset(Stream.Null); // Holds no reference to the buffer between uses.
        }
    }

    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > MaxRetainedBytes) return;
        buffer.ResetWrittenCount();
        t_buffer = buffer;
    }
}
