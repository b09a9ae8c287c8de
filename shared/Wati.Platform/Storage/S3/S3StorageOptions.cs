namespace Wati.Platform.Storage.S3;

/// <summary>
/// The S3 backend (<c>Wati:Storage:S3:*</c>). For Cloudflare R2: <c>ServiceUrl</c> =
/// <c>https://&lt;account&gt;.r2.cloudflarestorage.com</c>, <c>Region</c> = <c>auto</c>, path style.
/// </summary>
public sealed class S3StorageOptions
{
    /// <summary>Seven days: the longest lifetime a SigV4 presigned URL can have.</summary>
    public const int MaxUrlSeconds = 7 * 24 * 3600;

    /// <summary>Absolute http(s) URL of the S3 endpoint. Required.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Signing region; R2 uses <c>auto</c>.</summary>
    public string Region { get; set; } = "auto";

    /// <summary>Required.</summary>
    public string? Bucket { get; set; }

    /// <summary>Access key id. Required.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret access key. Required.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Path-style addressing (<c>{endpoint}/{bucket}/{key}</c>), as R2 and most S3 servers want.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>
    /// Absolute base URL under which the bucket is publicly readable (e.g. an R2 custom domain). Set:
    /// answers carry <c>url</c> = public URL and <c>presigned_url</c>; unset: <c>url</c> is presigned.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Longest presigned-URL lifetime in seconds, 1..604800 (7 days, the SigV4 maximum). A longer
    /// request is clamped to it, and the answer's <c>expires_in</c> says so.
    /// </summary>
    public int UrlSeconds { get; set; } = MaxUrlSeconds;

    /// <summary>Every problem, each naming its key; empty when the settings are usable.</summary>
    public IEnumerable<string> Problems()
    {
        const string P = "Wati:Storage:S3:";
        if (!IsHttpUrl(ServiceUrl)) yield return $"{P}ServiceUrl must be an absolute http(s) URL (e.g. https://<account>.r2.cloudflarestorage.com)";
        if (string.IsNullOrWhiteSpace(Region)) yield return $"{P}Region is required (R2: auto)";
        if (string.IsNullOrWhiteSpace(Bucket)) yield return $"{P}Bucket is required";
        if (string.IsNullOrWhiteSpace(AccessKey)) yield return $"{P}AccessKey is required";
        if (string.IsNullOrWhiteSpace(SecretKey)) yield return $"{P}SecretKey is required";
        if (PublicBaseUrl is not null && !IsHttpUrl(PublicBaseUrl)) yield return $"{P}PublicBaseUrl must be an absolute http(s) URL";
        if (UrlSeconds is < 1 or > MaxUrlSeconds) yield return $"{P}UrlSeconds must be 1..{MaxUrlSeconds} (7 days)";
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
