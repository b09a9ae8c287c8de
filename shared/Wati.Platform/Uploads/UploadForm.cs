using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Http;

namespace Wati.Platform.Uploads;

/// <summary>
/// An accepted image upload, normalised (<see cref="InputImages"/>): <paramref name="Bytes"/> are the
/// file as sent when it needed no change, else the upright sRGB re-encoding in the same format;
/// <paramref name="Info"/> has the size as viewers show it. <paramref name="FirstFrameOnly"/>: the file
/// was animated and only its first frame is used.
/// </summary>
public sealed record Upload(string Field, byte[] Bytes, ImageInfo Info, bool FirstFrameOnly = false);

/// <summary>What a route injects to read an upload form (<see cref="UploadForm"/>): the upload settings and the services the checks use.</summary>
public sealed class UploadFormReader(IOptions<UploadOptions> options, InputSources inputs, ILoggerFactory logs, DecodeGate gate)
{
    private readonly ILogger _logger = logs.CreateLogger<UploadForm>();

    /// <summary>The upload settings (<c>Wati:Uploads</c>).</summary>
    public UploadOptions Options => options.Value;

    /// <summary>The request's multipart form, read by the upload rules (415 when it is not multipart).</summary>
    public Task<UploadForm> ReadAsync(RequestContext rc) => UploadForm.ReadAsync(rc, options.Value, inputs, _logger, gate);
}

/// <summary>
/// A multipart form with the platform's upload rules: a broken body is 400 naming its rule
/// (<see cref="MultipartForm"/>); images are recognised by their bytes (415), sized (413) and
/// pixel-counted from the header before anything decodes them (400), then decoded completely and
/// normalised, so an incomplete or corrupt file is 400 here, before any charge; absent files are
/// MISSING_FILES; fields parse to typed values or VALIDATION_ERROR.
/// </summary>
public sealed class UploadForm
{
    // Quality of a re-encoded JPEG or WebP (rotated or colour-converted): high, so the one extra
    // generation costs no visible detail.
    private const int ReencodeQuality = 95;

    private readonly IFormCollection _form;
    private readonly UploadOptions _options;
    private readonly ILogger _logger;
    private readonly string _requestId;
    private readonly Func<string, string, CancellationToken, Task<Upload>>? _reference;
    private readonly StoredImageResolver? _stored;
    private readonly DecodeGate? _gate;

    private UploadForm(IFormCollection form, UploadOptions options, ILogger logger, string requestId,
        Func<string, string, CancellationToken, Task<Upload>>? reference, DecodeGate? gate, StoredImageResolver? stored = null)
    {
        _gate = gate;
        _stored = stored;
        _form = form;
        _options = options;
        _logger = logger;
        _requestId = requestId;
        _reference = reference;
    }

    /// <summary>The request's multipart form; image fields may also name an upload or URL when there is a caller.</summary>
    internal static async Task<UploadForm> ReadAsync(RequestContext rc, UploadOptions options, InputSources inputs, ILogger logger, DecodeGate gate)
    {
        if (!rc.Request.HasFormContentType || !(rc.Request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(ErrorCode.UnsupportedMediaType, "expected multipart/form-data");

        // Room for a few files at the per-file limit; each file is also checked on its own.
        var form = await MultipartForm.ReadAsync(rc.Request, options.MaxBytes, options.MaxBytes * 4 + 1024 * 1024, rc.Cancellation);
        // An image field may also name an input instead of carrying it (an upload id, or a URL).
        var caller = rc.OptionalCaller;
        Func<string, string, CancellationToken, Task<Upload>>? reference = caller is null
            ? null
            : (field, value, token) => inputs.ResolveAsync(caller.UserId, field, value, token);
        return new UploadForm(form, options, logger, rc.RequestId, reference, gate, inputs.ResolveStoredAsync);
    }

    /// <summary>
    /// A form of text values only (a batch item's parameters and input references), checked by the
    /// same rules; every image field must be a reference that <paramref name="reference"/> resolves, and
    /// an image named by the id of a stored one (<see cref="StoredImageAsync"/>) is looked up by <paramref name="stored"/>.
    /// </summary>
    public static UploadForm FromValues(IReadOnlyDictionary<string, string> values, UploadOptions options, ILogger logger,
        string requestId, Func<string, string, CancellationToken, Task<Upload>> reference, StoredImageResolver? stored = null) =>
        new(new FormCollection(values.ToDictionary(v => v.Key, v => new Microsoft.Extensions.Primitives.StringValues(v.Value))),
            options, logger, requestId, reference, gate: null, stored);

    /// <summary>
    /// All required images, or MISSING_FILES naming every absent one. A field without a file part may
    /// carry a text value instead: an upload id (<c>upl_…</c>) or an input URL (<see cref="InputSources"/>).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Upload>> ImagesAsync(CancellationToken ct, params string[] fields)
    {
        var missing = fields.Where(f => _form.Files.GetFile(f) is not { Length: > 0 } && Reference(f) is null).ToArray();
        if (missing.Length > 0)
            throw new ApiException(ErrorCode.MissingFiles, $"missing file(s): {string.Join(", ", missing)}", new { fields = missing });

        var uploads = new Dictionary<string, Upload>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            uploads[field] = _form.Files.GetFile(field) is { Length: > 0 } file
                ? await ReadImageAsync(file, ct)
                : await _reference!(field, Reference(field)!, ct);
        }
        return uploads;
    }

    /// <summary>Whether image <paramref name="field"/> was given: a file part, or a text value naming an input.</summary>
    public bool HasImage(string field) => _form.Files.GetFile(field) is { Length: > 0 } || Reference(field) is not null;

    /// <summary>
    /// The stored image whose id is the text of <paramref name="idField"/>, looked up in <paramref name="source"/>,
    /// as the input of image <paramref name="imageField"/> (issue 18, item 4: a portrait named by <c>portrait_id</c>).
    /// </summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming <paramref name="idField"/>: absent, or no such image.</exception>
    public async Task<Upload> StoredImageAsync(StoredImageSource source, string idField, string imageField, CancellationToken ct)
    {
        var id = String(idField, 2048) ?? throw ApiException.Validation($"{idField} is required", new { field = idField });
        var resolve = _stored ?? throw new InvalidOperationException("this form cannot look up stored images");
        return await resolve(source, idField, id, ct) with { Field = imageField };
    }

    /// <summary>The text value naming an input in place of a file part, when references can be resolved.</summary>
    private string? Reference(string field) => _reference is null ? null : String(field, 2048);

    public async Task<Upload?> OptionalImageAsync(string field, CancellationToken ct) =>
        _form.Files.GetFile(field) is { Length: > 0 } file ? await ReadImageAsync(file, ct) : null;

    /// <summary>
    /// Every image sent under <paramref name="field"/>, in order; none is fine. Empty parts are what a
    /// browser sends for an unused file input, so they count as absent.
    /// </summary>
    public async Task<IReadOnlyList<Upload>> ImageListAsync(string field, int max, CancellationToken ct)
    {
        var files = _form.Files.GetFiles(field).Where(f => f.Length > 0).ToList();
        if (files.Count > max)
            throw ApiException.Validation($"at most {max} files in {field}", new { field, count = files.Count, max });

        var uploads = new List<Upload>(files.Count);
        foreach (var file in files) uploads.Add(await ReadImageAsync(file, ct));
        return uploads;
    }

    public string? String(string name, int maxLength = 1000)
    {
        var value = _form[name].ToString().Trim();
        if (value.Length == 0) return null;
        return value.Length <= maxLength
            ? value
            : throw ApiException.Validation($"{name} is at most {maxLength} characters", new { field = name });
    }

    public int Int(string name, int fallback, int min, int max)
    {
        var raw = String(name, 32);
        if (raw is null) return fallback;
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw ApiException.Validation($"{name} must be a whole number from {min} to {max}", new { field = name, value = raw });
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        var raw = String(name, 32);
        if (raw is null) return fallback;
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) ||
            value < min || value > max)
            throw ApiException.Validation($"{name} must be a number from {min} to {max}", new { field = name, value = raw });
        return value;
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive), answered in its canonical spelling.</summary>
    public string OneOf(string name, string? fallback, IReadOnlyList<string> allowed)
    {
        var raw = String(name, 64) ?? fallback ??
                  throw ApiException.Validation($"{name} is required", new { field = name, allowed });
        return allowed.FirstOrDefault(a => a.Equals(raw, StringComparison.OrdinalIgnoreCase)) ??
               throw ApiException.Validation($"{name} must be one of: {string.Join(", ", allowed)}", new { field = name, value = raw, allowed });
    }

    private async Task<Upload> ReadImageAsync(IFormFile file, CancellationToken ct)
    {
        if (file.Length > _options.MaxBytes)
            throw new ApiException(ErrorCode.PayloadTooLarge, $"{file.Name} is over {_options.MaxBytes} bytes",
                new { field = file.Name, bytes = file.Length, max_bytes = _options.MaxBytes });

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream()) await stream.ReadExactlyAsync(bytes, ct);
        var gate = _gate ?? throw new InvalidOperationException("a form of text values has no files to decode");
        return await AcceptAsync(file.Name, bytes, _options, gate, _logger, _requestId, ct);
    }

    /// <summary>
    /// The upload checks on bytes from anywhere (a file part, a fetched URL): recognised by their bytes
    /// (415), pixel-counted from the header (400), decoded completely and normalised (400 when damaged),
    /// each error naming <paramref name="field"/>. The caller has checked the size limit. Decode cost is
    /// bounded first from the bytes (<see cref="DecodeLimits"/>: JPEG scans, 16-bit PNG size), then the
    /// decode runs within <paramref name="gate"/> (concurrency and time cap).
    /// </summary>
    public static async Task<Upload> AcceptAsync(string field, byte[] bytes, UploadOptions options, DecodeGate gate, ILogger logger,
        string requestId, CancellationToken ct)
    {
        var header = ImageProbe.TryProbe(bytes) ??
                     throw new ApiException(ErrorCode.UnsupportedMediaType, $"{field} is not a JPEG, PNG or WebP image",
                         new { field });
        try
        {
            // Header only so far: libvips has read the orientation, nothing is decoded yet.
            var image = InputImages.Open(bytes, field, options.ToDecodeLimits());
            int width = image.Image.Width, height = image.Image.Height;
            if (header.Pixels > options.MaxPixels)
                throw ApiException.Validation($"{field} is {width}x{height}; at most {options.MaxPixels} pixels are accepted",
                    new { field, width, height, max_pixels = options.MaxPixels });

            // Every pixel is decoded now, so a truncated or corrupt file is refused before any charge.
            var kept = await gate.RunAsync(field, token =>
            {
                if (image.Changed) return InputImages.Encode(InputImages.Stoppable(image.Image, token), header.Format, ReencodeQuality);
                using var decoded = InputImages.Decode(image, field, token);
                return bytes;
            }, ct);
            return new Upload(field, kept, new ImageInfo(header.Format, width, height), image.FirstFrameOnly);
        }
        catch (Exception e) when (e is InputImageException or NetVips.VipsException)
        {
            var refused = e as InputImageException ??
                          new InputImageException(field, InputImageProblem.Damaged, e.Message, e);
            // The library's words go to the log with the request id; the answer has our own message.
            logger.LogInformation("Request {RequestId}: upload {Field} refused ({Reason}): {Detail}",
                requestId, field, refused.Reason, refused.Detail);
            throw refused.Limit is { } limit
                ? ApiException.Validation($"{field}: {refused.Message}", new { field, reason = refused.Reason, rule = refused.Reason, limit })
                : ApiException.Validation($"{field}: {refused.Message}", new { field, reason = refused.Reason });
        }
    }
}
