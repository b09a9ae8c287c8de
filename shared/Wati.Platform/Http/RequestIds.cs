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
        id = IsSane(sent) ? sent : NewId();
        context.Items[ItemKey] = id;
        context.Response.Headers[Header] = id;
        return id;
    }

    /// <summary>
    /// <c>req_</c> and 32 lowercase hex digits (128 random bits). A request id must be unique, not secret, so it
    /// comes from the per-thread pseudo-random generator (seeded from the OS), which, unlike
    /// <see cref="Guid.NewGuid"/> here, asks the kernel for nothing per request.
    /// </summary>
    internal static string NewId()
    {
        Span<byte> bits = stackalloc byte[16];
        Random.Shared.NextBytes(bits);
        return string.Create(36, bits, static (chars, b) =>
        {
            "req_".CopyTo(chars);
            Convert.TryToHexStringLower(b, chars[4..], out _);
        });
    }

    internal static bool IsSane(string value) =>
        value.Length is > 0 and <= 128 &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
