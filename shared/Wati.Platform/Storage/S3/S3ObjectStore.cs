using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Wati.Platform.Storage.S3;

/// <summary>
/// <see cref="IObjectStore"/> on any S3 API (Cloudflare R2 in production, s3rver in tests) through the
/// official AWSSDK.S3. Requests are shaped for servers that reject AWSSDK v4's defaults (R2 answers
/// 501 to both): checksums only when an operation requires one, and no aws-chunked streaming body;
/// the payload hash is left unsigned over HTTPS (TLS protects it) and signed over plain HTTP.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly bool _https;

    /// <param name="client">Made by <see cref="CreateClient"/>; this store disposes it.</param>
    /// <exception cref="ArgumentException">The options have a problem (<see cref="S3StorageOptions.Problems"/>).</exception>
    public S3ObjectStore(IAmazonS3 client, S3StorageOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var problems = options.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems), nameof(options));
        _client = client;
        _options = options;
        _time = time;
        _https = options.ServiceUrl!.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The client for <paramref name="options"/>: path style as configured, region for signing,
    /// <c>RequestChecksumCalculation</c> and <c>ResponseChecksumValidation</c> = when required.
    /// </summary>
    /// <param name="httpClientFactory">Tests pass one to see the requests on the wire; null = the SDK's own.</param>
    public static IAmazonS3 CreateClient(S3StorageOptions options, HttpClientFactory? httpClientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl,
            AuthenticationRegion = options.Region,
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (httpClientFactory is not null) config.HttpClientFactory = httpClientFactory;
        return new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    /// <inheritdoc/>
    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        if (contentType.Any(char.IsControl))
            throw new ArgumentException("content type must not contain control characters", nameof(contentType));

        // Without chunked encoding the SDK must know the length (and, over HTTP, hash the body) up front.
        var body = content;
        if (!content.CanSeek)
        {
            body = new MemoryStream();
            await content.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
            body.Position = 0;
        }
        try
        {
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                ContentType = contentType,
                UseChunkEncoding = false,
                DisablePayloadSigning = _https,
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!ReferenceEquals(body, content)) await body.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        try
        {
            var response = await _client.GetObjectAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
            return new StoredObject(response.ResponseStream, response.Headers.ContentType ?? "application/octet-stream",
                response.ContentLength);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>S3's delete does not say whether the object existed, so a HEAD asks first.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        try
        {
            await _client.GetObjectMetadataAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await _client.DeleteObjectAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A SigV4 presigned GET, its lifetime clamped to <see cref="S3StorageOptions.UrlSeconds"/> (at most
    /// 7 days); <see cref="SignedUrl.ExpiresIn"/> is the lifetime actually signed. With a public base
    /// the URL clients get is the public one and the presigned one comes beside it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is not positive.</exception>
    public async Task<SignedUrl> GetSignedUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        ObjectKeys.Validate(key);
        if (lifetime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lifetime), "must be positive");
        var seconds = (int)Math.Min(Math.Ceiling(lifetime.TotalSeconds), _options.UrlSeconds);

        var presigned = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Protocol = _https ? Protocol.HTTPS : Protocol.HTTP,
            Expires = _time.GetUtcNow().UtcDateTime.AddSeconds(seconds),
        }).ConfigureAwait(false);

        if (_options.PublicBaseUrl is not { Length: > 0 } publicBase) return new SignedUrl(presigned, seconds);
        var path = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        return new SignedUrl($"{publicBase.TrimEnd('/')}/{path}", seconds, presigned);
    }

    /// <summary>Ready when <see cref="ProbeAsync"/> finds the bucket.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) =>
        await ProbeAsync(cancellationToken).ConfigureAwait(false) is null;

    /// <summary>
    /// The readiness probe: <c>HeadBucket</c> on the configured bucket, which needs only access to the
    /// bucket (no listing: s3rver's listing is what fails on Node 20 without the legacy OpenSSL provider),
    /// so a missing bucket or refused credentials are reported at <c>/readyz</c>, by name, rather than as
    /// a 500 on the first upload (issue 17).
    /// </summary>
    /// <returns>Null when the bucket answers; else what is wrong, naming the bucket and the setting to check.</returns>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return $"bucket '{_options.Bucket}' does not exist at {_options.ServiceUrl} (Wati:Storage:S3:Bucket, ServiceUrl)";
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return $"bucket '{_options.Bucket}' refused these credentials ({(int)e.StatusCode}; Wati:Storage:S3:AccessKey, SecretKey)";
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or AmazonClientException)
        {
            return $"bucket '{_options.Bucket}' at {_options.ServiceUrl} cannot be reached ({e.Message.Split('\n', 2)[0]})";
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _client.Dispose();
}
