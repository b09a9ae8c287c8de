namespace Wati.Platform.Storage;

/// <summary>
/// Object storage (design section 11): put, get, delete, and a signed GET URL with an expiry.
/// Keys are relative paths such as <c>gfpgan/s2-v1.4/abc.jpg</c> (<see cref="ObjectKeys.Validate"/>).
/// Backends: files on disk (embedded) and S3/R2 (<see cref="S3.S3ObjectStore"/>).
/// </summary>
public interface IObjectStore
{
    Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>Null when there is no such object.</summary>
    Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>True when something was deleted.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>An absolute URL that serves the object until <paramref name="lifetime"/> has passed.</summary>
    Task<SignedUrl> GetSignedUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken = default);

    /// <summary>Readiness: can we reach the store?</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken = default);
}

public sealed record StoredObject(Stream Content, string ContentType, long Length) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>
/// <paramref name="Url"/> is what clients use: the public URL when the store has a public base,
/// else the presigned URL. <paramref name="ExpiresIn"/> is the presigned URL's lifetime in seconds.
/// <paramref name="PresignedUrl"/> is set only when it differs from <paramref name="Url"/> (the
/// response-format document's <c>presigned_url</c>).
/// </summary>
public sealed record SignedUrl(string Url, int ExpiresIn, string? PresignedUrl = null);

/// <summary>
/// The object-key rule every backend enforces: 1..512 characters of '/'-separated segments, none empty,
/// <c>.</c> or <c>..</c>; no leading slash. Any printable character is allowed (spaces, <c>+</c>,
/// brackets, <c>!</c>, non-ASCII letters) except <c>\</c>, <c>%</c> (no second decoding),
/// <c>?</c> and <c>#</c> (URL syntax) and <c>~</c> (the filesystem store's helper files); no control
/// characters or unpaired surrogates (they cannot travel as UTF-8).
/// </summary>
public static class ObjectKeys
{
    public const int MaxLength = 512;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key[0] == '/') return false;
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..") return false;
            for (var i = 0; i < segment.Length; i++)
            {
                var c = segment[i];
                if (char.IsControl(c) || c is '\\' or '%' or '?' or '#' or '~') return false;
                if (char.IsHighSurrogate(c) && i + 1 < segment.Length && char.IsLowSurrogate(segment[i + 1])) i++;
                else if (char.IsSurrogate(c)) return false;
            }
        }
        return true;
    }

    public static string Validate(string key) =>
        IsValid(key) ? key : throw new ArgumentException($"invalid object key '{key}'", nameof(key));
}
