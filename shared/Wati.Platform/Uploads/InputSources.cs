using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Manifest;
using Wati.Platform.Webhooks;

namespace Wati.Platform.Uploads;

/// <summary>
/// Turns an input named by reference into an accepted <see cref="Upload"/>: an upload id of the caller
/// (<see cref="UploadsService"/>), or an https URL fetched through the SSRF guard (<see cref="UrlGuard"/>:
/// resolved once, every address checked, connection pinned, no redirects) within the upload size limit
/// and <see cref="UploadOptions.UrlTimeoutSeconds"/>, then checked like an upload. Every failure is a 400
/// naming the field (415/413 for what an upload would get them).
/// </summary>
public sealed class InputSources(UploadsService uploads, IOptions<UploadOptions> options, DecodeGate gate, ILogger<InputSources> logger,
    ManifestService manifest)
{
    private UploadOptions Options => options.Value;

    /// <summary>Resolves <paramref name="value"/> given for image field <paramref name="field"/> of <paramref name="userId"/>'s call.</summary>
    /// <exception cref="ApiException">VALIDATION_ERROR naming the field: unknown or expired upload, refused or failed URL, unsupported reference.</exception>
    public async Task<Upload> ResolveAsync(string userId, string field, string value, CancellationToken ct)
    {
        if (UploadsService.LooksLikeId(value)) return await uploads.LoadAsync(userId, field, value, ct);
        if (LooksLikeUrl(value)) return await FetchAsync(field, value, ct);
        throw ApiException.Validation($"{field}: expected a file, an upload id (upl_…) or an https URL", new { field });
    }

    /// <summary>
    /// Checks a reference without fetching its bytes (batch validation): the upload exists (its size is
    /// answered), or the URL's form and every address its host resolves to pass the guard (size unknown: 0×0).
    /// </summary>
    public async Task<Upload> DescribeAsync(string userId, string field, string value, CancellationToken ct)
    {
        if (UploadsService.LooksLikeId(value)) return await uploads.DescribeAsync(userId, field, value, ct);
        if (LooksLikeUrl(value))
        {
            await UrlGuard.ResolveAsync(ParseUrl(field, value), field, Options.AllowLoopbackUrls, ct);
            return new Upload(field, [], new ImageInfo(ImageFormat.Jpeg, 0, 0));
        }
        throw ApiException.Validation($"{field}: expected an upload id (upl_…) or an https URL", new { field });
    }

    /// <summary>
    /// The stored image <paramref name="id"/> of <paramref name="source"/> (a portrait of <c>GET /v1/portraits</c>),
    /// read from object storage, where it was stored already checked and normalised.
    /// </summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming <paramref name="field"/> when there is no such image.</exception>
    public Task<Upload> ResolveStoredAsync(StoredImageSource source, string field, string id, CancellationToken ct) =>
        StoredAsync(source, field, id, withBytes: true, ct);

    /// <summary>As <see cref="ResolveStoredAsync"/> without reading the bytes (batch validation: it exists, its size).</summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming <paramref name="field"/> when there is no such image.</exception>
    public Task<Upload> DescribeStoredAsync(StoredImageSource source, string field, string id, CancellationToken ct) =>
        StoredAsync(source, field, id, withBytes: false, ct);

    private async Task<Upload> StoredAsync(StoredImageSource source, string field, string id, bool withBytes, CancellationToken ct) =>
        source switch
        {
            StoredImageSource.Portrait => await manifest.PortraitInputAsync(field, id, withBytes, ct) ??
                                          throw ApiException.Validation($"{field}: no portrait {OutsideIdText(id)} (see GET /v1/portraits)",
                                              new { field }),
            _ => throw new InvalidOperationException($"no stored images of source {source}"),
        };

    /// <summary>An id as quoted in a message: the caller's text, cut short.</summary>
    private static string OutsideIdText(string id) => id.Length <= 64 ? id : id[..64] + "…";

    private static bool LooksLikeUrl(string value) =>
        value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    private Uri ParseUrl(string field, string value)
    {
        var uri = UrlGuard.ParseUrl(value, field, allowLoopback: true);
        if (uri.Scheme == "http" && !Options.AllowHttpUrls) throw ApiException.Validation($"{field}: input URLs must use https", new { field });
        return uri;
    }

    private async Task<Upload> FetchAsync(string field, string value, CancellationToken ct)
    {
        var uri = ParseUrl(field, value);
        var addresses = await UrlGuard.ResolveAsync(uri, field, Options.AllowLoopbackUrls, ct);
        var timeout = TimeSpan.FromSeconds(Options.UrlTimeoutSeconds);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        byte[] bytes;
        try
        {
            using var handler = UrlGuard.CreateHandler(addresses, timeout);
            using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            if ((int)response.StatusCode is >= 300 and < 400)
                throw ApiException.Validation($"{field}: the URL redirects; give the final URL", new { field, status = (int)response.StatusCode });
            if (!response.IsSuccessStatusCode)
                throw ApiException.Validation($"{field}: the URL answered HTTP {(int)response.StatusCode}", new { field, status = (int)response.StatusCode });
            if (response.Content.Headers.ContentLength > Options.MaxBytes) throw TooLarge(field);
            await using var body = await response.Content.ReadAsStreamAsync(limit.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, limit.Token)) > 0)
            {
                if (buffer.Length + read > Options.MaxBytes) throw TooLarge(field);
                buffer.Write(chunk, 0, read);
            }
            bytes = buffer.ToArray();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw ApiException.Validation($"{field}: the URL did not answer within {Options.UrlTimeoutSeconds} s", new { field });
        }
        catch (HttpRequestException e)
        {
            throw ApiException.Validation($"{field}: the URL could not be fetched ({e.HttpRequestError})", new { field });
        }
        return await UploadForm.AcceptAsync(field, bytes, Options, gate, logger, "url-input", ct);
    }

    private ApiException TooLarge(string field) =>
        new(ErrorCode.PayloadTooLarge, $"{field}: the URL's content is over {Options.MaxBytes} bytes", new { field, max_bytes = Options.MaxBytes });
}

/// <summary>Where an input named by the id of an image the platform stores is looked up (<see cref="Models.Catalog.ModelInput.ImageFor"/>).</summary>
public enum StoredImageSource
{
    /// <summary>Not a stored-image id.</summary>
    None,

    /// <summary>A portrait of the public catalogue (<c>GET /v1/portraits</c>, id <c>prt_…</c>).</summary>
    Portrait,
}

/// <summary>Looks up the stored image <c>id</c> of a source as the input given in <c>field</c> (<see cref="InputSources.ResolveStoredAsync"/>).</summary>
public delegate Task<Upload> StoredImageResolver(StoredImageSource source, string field, string id, CancellationToken ct);
