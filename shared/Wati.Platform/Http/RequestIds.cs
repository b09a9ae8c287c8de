using Microsoft.AspNetCore.Http;

namespace Wati.Platform.Http;

/// <summary>
/// Every answer carries a request id, in the body and as <c>X-Request-Id</c>. A client-sent id is kept
/// when it is sane (short, plain characters), so callers can correlate their own logs.
/// </summary>
public static class RequestIds
{
    public const string Header = "X-Request-Id";
    private const string ItemKey = "wati.request_id";

    public static string Ensure(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var existing) && existing is string id) return id;

        var sent = context.Request.Headers[Header].ToString();
        id = IsSane(sent) ? sent : "req_" + Guid.NewGuid().ToString("N");
        context.Items[ItemKey] = id;
        context.Response.Headers[Header] = id;
        return id;
    }

    internal static bool IsSane(string value) =>
        value.Length is > 0 and <= 128 &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
