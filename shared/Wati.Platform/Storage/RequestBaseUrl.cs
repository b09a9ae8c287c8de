using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;

namespace Wati.Platform.Storage;

/// <summary>The configured public base URL, else the current request's scheme and host.</summary>
public sealed class RequestBaseUrl(IHttpContextAccessor accessor, IOptions<WatiOptions> options) : IPublicBaseUrl
{
    private const string Fallback = "http://localhost:7071";

    public string Get()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl)) return options.Value.PublicBaseUrl.TrimEnd('/');
        var request = accessor.HttpContext?.Request;
        return request is null || !request.Host.HasValue
            ? Fallback
            : $"{request.Scheme}://{request.Host.Value}{request.PathBase.Value}".TrimEnd('/');
    }
}
