namespace Wati.Platform.Http;

/// <summary>The request limits both hosts apply, from one place so that <c>server/</c> and the Functions worker agree.</summary>
public static class RequestLimits
{
    /// <summary>
    /// The largest request body either host reads: 64 MiB, above the largest form the upload rules accept
    /// (about 41 MiB with the default file limits) and below <see cref="FunctionsHostMaxBodyBytes"/>. Kestrel's own default (30,000,000 bytes) would refuse valid
    /// forms in the Functions worker (issue 17).
    /// </summary>
    public const long MaxBodyBytes = 64L * 1024 * 1024;

    /// <summary>
    /// What the Azure Functions host itself accepts before the worker sees a request: 100 MB
    /// (104,857,600 bytes; Azure Functions documentation, HTTP trigger limits, <c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>).
    /// </summary>
    public const long FunctionsHostMaxBodyBytes = 100L * 1024 * 1024;
}
