using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Wati.Envelope;

namespace Wati.Platform.Uploads;

/// <summary>
/// Reads a multipart/form-data body with the framework's <see cref="MultipartReader"/>, part by part,
/// so that every way a body can be broken is answered by the rule it broke (400 VALIDATION_ERROR with
/// <c>details.rule</c>), and only a body that really is too large is 413. A broken body is the
/// client's doing: it is never a 500 and never logged as an error.
/// </summary>
internal static class MultipartForm
{
    /// <summary>Parts (fields and files together) one form may have.</summary>
    public const int MaxParts = 64;

    /// <summary>Longest text field, in bytes.</summary>
    public const int MaxValueBytes = 16 * 1024;

    // RFC 2046 section 5.1.1: a boundary is 1..70 characters.
    private const int MaxBoundaryLength = 70;

    /// <param name="maxFileBytes">Largest file part (413 above, naming the field).</param>
    /// <param name="maxBodyBytes">Largest whole body (413 above).</param>
    /// <exception cref="ApiException">400 naming the rule the body broke; 413 for a body or file over its limit.</exception>
    public static async Task<FormCollection> ReadAsync(HttpRequest request, long maxFileBytes, long maxBodyBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBodyBytes) throw TooLarge(maxBodyBytes);
        var boundary = Boundary(request.ContentType);

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        var files = new FormFileCollection();
        var parts = 0;
        long total = 0;
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (++parts > MaxParts) throw Broken($"a form may have at most {MaxParts} parts", "max_parts", MaxParts);
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                    !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) || StringSegment.IsNullOrEmpty(disposition.Name))
                    throw Broken("every part needs Content-Disposition: form-data with a name", "part_disposition");
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();

                if (disposition.IsFileDisposition())
                {
                    var content = await ReadCappedAsync(section.Body, maxFileBytes, ct) ??
                                  throw new ApiException(ErrorCode.PayloadTooLarge, $"{name} is over {maxFileBytes} bytes",
                                      new { field = name, max_bytes = maxFileBytes });
                    total += content.Length;
                    files.Add(new FormFile(content, 0, content.Length, name, HeaderUtilities.RemoveQuotes(disposition.FileName).ToString())
                    {
                        Headers = new HeaderDictionary(), ContentType = section.ContentType ?? "application/octet-stream",
                    });
                }
                else
                {
                    var content = await ReadCappedAsync(section.Body, MaxValueBytes, ct) ??
                                  throw Broken($"{name} is over {MaxValueBytes} bytes", "max_value_bytes", MaxValueBytes, name);
                    total += content.Length;
                    var value = System.Text.Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length);
                    fields[name] = StringValues.Concat(fields.GetValueOrDefault(name), value);
                }
                if (total > maxBodyBytes) throw TooLarge(maxBodyBytes);
            }
        }
        catch (Exception e) when (Classify(e, request, parts) is { } refusal)
        {
            throw refusal;
        }
        return new FormCollection(fields, files);
    }

    /// <summary>Our answer for a failure while reading the body; null for anything that is not the body's fault.</summary>
    private static ApiException? Classify(Exception e, HttpRequest request, int parts)
    {
        if (e is ApiException) return null;
        if (request.HttpContext.RequestAborted.IsCancellationRequested || e is ConnectionResetException)
            return Broken("the upload was aborted before the body was complete", "aborted");
        return e switch
        {
            // Kestrel: the connection delivered fewer bytes than Content-Length promised.
            BadHttpRequestException { StatusCode: 413 } => TooLarge(null),
            BadHttpRequestException { StatusCode: 408 } => Broken("the body arrived too slowly", "body_rate"),
            BadHttpRequestException => Broken("the body is shorter than its Content-Length", "content_length"),
            // The reader's own limits on part headers and line lengths.
            InvalidDataException => Broken("a part's headers are malformed or over 16 KiB", "part_headers"),
            // The stream ended while a delimiter was still expected: before the first one (the body does
            // not use the boundary its Content-Type declares) or later (no closing delimiter).
            IOException when parts == 0 => Broken("the body has no part delimited by the boundary in Content-Type", "boundary_mismatch"),
            IOException => Broken("the body ended before its closing boundary", "closing_boundary"),
            _ => null,
        };
    }

    private static string Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
            throw Broken("the Content-Type header is malformed", "content_type");
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary);
        if (StringSegment.IsNullOrEmpty(boundary)) throw Broken("multipart/form-data needs a boundary parameter", "boundary_missing");
        if (boundary.Length > MaxBoundaryLength)
            throw Broken($"the boundary is longer than {MaxBoundaryLength} characters", "boundary_length", MaxBoundaryLength);
        return boundary.ToString();
    }

    /// <summary>The whole part, or null when it is longer than <paramref name="max"/> bytes.</summary>
    private static async Task<MemoryStream?> ReadCappedAsync(Stream body, long max, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return buffer;
    }

    private static ApiException Broken(string message, string rule, long? limit = null, string? field = null) =>
        ApiException.Validation("malformed multipart body: " + message, new { rule, limit, field });

    private static ApiException TooLarge(long? maxBodyBytes) =>
        new(ErrorCode.PayloadTooLarge, "request body too large", new { max_bytes = maxBodyBytes });
}
