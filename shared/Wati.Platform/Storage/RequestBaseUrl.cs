using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Wati.Platform.Common;

namespace Wati.Platform.Storage;

/// <summary>
/// The configured public base URL (<c>Wati:PublicBaseUrl</c>); else the current request's scheme and host,
/// but only when that host is one ASP.NET Core's host filtering allows (<c>AllowedHosts</c>, a
/// <c>*</c> wildcard trusting nothing here); else <see cref="Fallback"/>. A caller's <c>Host</c> header
/// never chooses where links point (issue 24 finding 10).
/// </summary>
public sealed class RequestBaseUrl(IHttpContextAccessor accessor, IOptions<WatiOptions> options, IOptions<HostFilteringOptions> hosts)
    : IPublicBaseUrl
{
    /// <summary>Links when no base URL is configured and the request's host is not an allowed one.</summary>
    public const string Fallback = "http://localhost:7071";

    private readonly List<StringSegment> _allowed = hosts.Value.AllowedHosts
        .Select(h => h.Trim()).Where(h => h.Length > 0 && h != "*").Select(h => new StringSegment(h)).ToList();

    /// <inheritdoc />
    public string Get()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl)) return options.Value.PublicBaseUrl.TrimEnd('/');
        var request = accessor.HttpContext?.Request;
        return request is null || !request.Host.HasValue || !HostString.MatchesAny(request.Host.Host, _allowed)
            ? Fallback
            : $"{request.Scheme}://{request.Host.Value}{request.PathBase.Value}".TrimEnd('/');
    }
}
