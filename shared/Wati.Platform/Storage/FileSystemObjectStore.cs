using System.Text.Json;

namespace Wati.Platform.Storage;

/// <summary>
/// The embedded <see cref="IObjectStore"/>: each object is the file <c>{root}/{key}</c>, its content type
/// in a sidecar <c>{file}~meta</c>. Helper files carry a <c>~</c>, which no valid key contains, so they can
/// never collide with an object. Writes go to a temporary file in the same folder and are then renamed
/// over the target, so readers see either the old or the new bytes, never a partial file.
/// </summary>
public sealed class FileSystemObjectStore : IObjectStore
{
    private const string MetaSuffix = "~meta";
    private const string TempMarker = "~tmp-";
    private const string DefaultContentType = "application/octet-stream";

    private readonly string _root;
    private readonly string _rootPrefix;
    private readonly IPublicBaseUrl _baseUrl;
    private readonly TimeProvider _time;

    public FileSystemObjectStore(string rootDirectory, byte[] signingKey, IPublicBaseUrl baseUrl, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(time);
        Signer = new UrlSigner(signingKey, time);
        _baseUrl = baseUrl;
        _time = time;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        _rootPrefix = Path.EndsInDirectorySeparator(_root) ? _root : _root + Path.DirectorySeparatorChar;
        Common.DataFolder.CreateDirectory(_root); // folders 0700, files 0600 (issue 24 finding 7)
    }

    /// <summary>Checks the signatures of the URLs this store hands out (used by the host's <c>/files</c> endpoint).</summary>
    public UrlSigner Signer { get; }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        var path = Resolve(key);
        ArgumentNullException.ThrowIfNull(content);
        ValidateContentType(contentType);
        Common.DataFolder.CreateDirectory(Path.GetDirectoryName(path)!);

        // The sidecar goes first: if we crash before the object is renamed into place, a new key stays
        // absent (a lone sidecar is ignored), and only a re-Put under a new content type can be left mixed.
        await WriteAtomicallyAsync(path + MetaSuffix,
            (stream, ct) => JsonSerializer.SerializeAsync(stream, new Meta(contentType), cancellationToken: ct),
            cancellationToken).ConfigureAwait(false);
        await WriteAtomicallyAsync(path, (stream, ct) => content.CopyToAsync(stream, ct), cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = Resolve(key);
        FileStream stream;
        try
        {
            // FileShare.Delete lets an overwrite or delete proceed while this reader keeps its snapshot.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            var contentType = await ReadContentTypeAsync(path + MetaSuffix, cancellationToken).ConfigureAwait(false);
            return new StoredObject(stream, contentType, stream.Length);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = Resolve(key);
        cancellationToken.ThrowIfCancellationRequested();
        var existed = File.Exists(path);
        // The object goes first so that a crash in between never leaves an object without its content type.
        DeleteIfPresent(path);
        DeleteIfPresent(path + MetaSuffix);
        return Task.FromResult(existed);
    }

    public Task<SignedUrl> GetSignedUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        if (lifetime <= TimeSpan.Zero || lifetime.TotalSeconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(lifetime), "must be positive and fit in int seconds");

        var seconds = (int)Math.Ceiling(lifetime.TotalSeconds);
        var exp = _time.GetUtcNow().ToUnixTimeSeconds() + seconds;
        var path = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        var url = $"{_baseUrl.Get().TrimEnd('/')}/files/{path}?exp={exp}&sig={Signer.Sign(key, exp)}";
        return Task.FromResult(new SignedUrl(url, seconds));
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(_root, "~ready-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (!Directory.Exists(_root)) return false;
            await File.WriteAllBytesAsync(probe, [], cancellationToken).ConfigureAwait(false);
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The absolute path of a key, refusing anything that is not a valid key or would leave the root.</summary>
    private string Resolve(string key)
    {
        ObjectKeys.Validate(key);
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_rootPrefix, StringComparison.Ordinal))
            throw new ArgumentException($"object key '{key}' escapes the store root", nameof(key));
        return path;
    }

    private static async Task WriteAtomicallyAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temp = path + TempMarker + Guid.NewGuid().ToString("N");
        try
        {
            await using (var stream = new FileStream(temp, Common.DataFolder.NewFile(FileMode.CreateNew, FileAccess.Write, FileShare.None,
                bufferSize: 81920, FileOptions.Asynchronous)))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                // Data must be on disk before the rename publishes it, or a power cut could expose an empty file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            DeleteIfPresent(temp);
            throw;
        }
    }

    private static async Task<string> ReadContentTypeAsync(string metaPath, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(metaPath);
            var meta = await JsonSerializer.DeserializeAsync<Meta>(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return string.IsNullOrEmpty(meta?.ContentType) ? DefaultContentType : meta.ContentType;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            // Only files placed by hand lack a readable sidecar; serve them as opaque bytes.
            return DefaultContentType;
        }
    }

    private static void ValidateContentType(string contentType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        // It becomes a response header on /files; control characters would allow header injection.
        if (contentType.Any(char.IsControl))
            throw new ArgumentException("content type must not contain control characters", nameof(contentType));
    }

    private static void DeleteIfPresent(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private sealed record Meta(string ContentType);
}
