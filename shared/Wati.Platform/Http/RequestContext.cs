using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Auth;

namespace Wati.Platform.Http;

/// <summary>Everything a handler needs about the call it is answering.</summary>
public sealed class RequestContext(HttpRequest request, RouteArgs args, string requestId, Caller? caller, CancellationToken ct, Storage.IPublicBaseUrl baseUrl)
{
    public HttpRequest Request { get; } = request;
    public RouteArgs Args { get; } = args;
    public string RequestId { get; } = requestId;
    public CancellationToken Cancellation { get; } = ct;

    /// <summary>The authenticated caller; routes with <see cref="RouteAuth.None"/> may have none.</summary>
    public Caller Caller => caller ?? throw new ApiException(ErrorCode.Unauthenticated, "authentication required");

    public Caller? OptionalCaller => caller;

    public IEnvelopeResult Ok<T>(T data, IDictionary<string, object?>? meta = null, int status = StatusCodes.Status200OK) =>
        new EnvelopeResult<T>(Envelope.Envelope.Ok(RequestId, data, meta), status);

    public IEnvelopeResult Created<T>(T data, string? location = null, IDictionary<string, object?>? meta = null)
    {
        var result = new EnvelopeResult<T>(Envelope.Envelope.Ok(RequestId, data, meta), StatusCodes.Status201Created);
        if (location is not null) result.Headers["Location"] = location;
        return result;
    }

    public IEnvelopeResult List<T>(IReadOnlyList<T> items, Pagination pagination, IDictionary<string, object?>? meta = null) =>
        new EnvelopeResult<ItemList<T>>(Envelope.Envelope.Ok(RequestId, new ItemList<T>(items), meta, pagination), 200);

    /// <summary>Absolute URL of a path on this host (<c>/v1/jobs/x</c>).</summary>
    public string AbsoluteUrl(string path) => baseUrl.Get() + path;
}
