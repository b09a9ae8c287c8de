using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Common;

namespace Wati.Platform.Http;

/// <summary>
/// Request binding shared by both hosts: JSON bodies (size-limited, platform JSON rules), query
/// values and paging. Failures are envelope errors, never a framework's own 400 page.
/// </summary>
public static class RequestBinding
{
    public const int MaxJsonBytes = 64 * 1024;

    // Seed 000's request rules: a missing field keeps its default (the body types initialise every field),
    // int64 takes a number or a numeric string (WatiJson's converter); null where the type has no null
    // is refused as VALIDATION_ERROR rather than reaching a handler as a null string.
    private static readonly JsonSerializerOptions ReadOptions = new(WatiJson.Options) { RespectNullableAnnotations = true };

    /// <param name="maxBytes">The body's limit (413 above); <see cref="MaxJsonBytes"/> unless a route needs more (batches).</param>
    public static async Task<T> ReadJsonAsync<T>(this RequestContext rc, int maxBytes = MaxJsonBytes) where T : class
    {
        var request = rc.Request;
        if (request.ContentLength > maxBytes)
            throw new ApiException(ErrorCode.PayloadTooLarge, $"JSON body over {maxBytes} bytes");
        if (!string.IsNullOrEmpty(request.ContentType) && !IsJson(request.ContentType))
            throw new ApiException(ErrorCode.UnsupportedMediaType, "expected Content-Type: application/json");

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, rc.Cancellation)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new ApiException(ErrorCode.PayloadTooLarge, $"JSON body over {maxBytes} bytes");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw ApiException.Validation("a JSON body is required");

        return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ReadOptions)
               ?? throw ApiException.Validation("a JSON object is required");
    }

    private static bool IsJson(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
        contentType.Contains("+json", StringComparison.OrdinalIgnoreCase);

    public static string? Query(this RequestContext rc, string name)
    {
        var v = rc.Request.Query[name].ToString();
        return string.IsNullOrWhiteSpace(v) ? null : v.Trim();
    }

    public static int? QueryInt(this RequestContext rc, string name)
    {
        var v = rc.Query(name);
        if (v is null) return null;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ApiException.Validation($"{name} must be an integer", new { field = name });
    }

    public static PageRequest Paging(this RequestContext rc) =>
        PageRequest.Create(rc.QueryInt("page"), rc.QueryInt("page_size"));
}
