namespace Wati.Platform.Storage;

/// <summary>
/// Object storage (design section 11): put, get, delete, and a signed GET URL with an expiry.
/// Keys are relative paths such as <c>gfpgan/s2-v1.4/abc.jpg</c>: segments of letters, digits,
/// <c>-_.</c>; no empty, <c>.</c> or <c>..</c> segments, no leading slash (<see cref="ObjectKeys.Validate"/>).
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
/// <paramref name="Url"/> is what clients use (the public URL when the store has one, else the presigned
/// one); <paramref name="ExpiresIn"/> in seconds; <paramref name="PresignedUrl"/> the presigned URL when
/// the store also has a public one that differs (answered as <c>presigned_url</c>), else null.
/// </summary>
public sealed record SignedUrl(string Url, int ExpiresIn, string? PresignedUrl = null);

public static class ObjectKeys
{
    public const int MaxLength = 512;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key[0] == '/') return false;
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..") return false;
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
            }
        }
        return true;
    }

    public static string Validate(string key) =>
        IsValid(key) ? key : throw new ArgumentException($"invalid object key '{key}'", nameof(key));
}
