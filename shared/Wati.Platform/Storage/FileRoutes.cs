using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;

namespace Wati.Platform.Storage;

/// <summary><c>GET /files/{key}?exp&amp;sig</c>: the embedded object store's signed downloads.</summary>
public static class FileRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("GetFile", "GET", "files/{**key}", RouteAuth.None, Download)
        {
            Doc = new("A stored object, while its link's signature holds") { Shape = ResponseShape.Raw, RawContentType = "application/octet-stream",
                Query = [new("exp", "Expiry (Unix seconds) of the link"), new("sig", "The link's signature")], Errors = [ErrorCode.PermissionDenied] },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(IObjectStore Objects);

    private static async Task<IResult> Download(RequestContext rc, Deps deps)
    {
        if (deps.Objects is not FileSystemObjectStore store)
            throw ApiException.NotFound("route");

        var key = rc.Args["key"];
        var check = store.Signer.Verify(key, rc.Query("exp"), rc.Query("sig"));
        if (check == SignatureCheck.Expired)
            throw new ApiException(ErrorCode.PermissionDenied, "this link has expired; ask the API for a fresh one");
        if (check != SignatureCheck.Valid)
            throw new ApiException(ErrorCode.PermissionDenied, "invalid link signature");

        var stored = await store.GetAsync(key, rc.Cancellation) ?? throw ApiException.NotFound("file");
        return new StoredObjectResult(stored);
    }

    private sealed class StoredObjectResult(StoredObject stored) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await using var _ = stored;
            var response = httpContext.Response;
            response.StatusCode = 200;
            response.ContentType = stored.ContentType;
            response.ContentLength = stored.Length;
            response.Headers.CacheControl = "private, max-age=300";
            response.Headers["X-Content-Type-Options"] = "nosniff";
            await stored.Content.CopyToAsync(response.Body, httpContext.RequestAborted);
        }
    }
}
