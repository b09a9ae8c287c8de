using System.Net;
using System.Net.Sockets;
using Wati.Envelope;

namespace Wati.Platform.Webhooks;

/// <summary>
/// The SSRF guard for URLs the server calls (issue 12): the host resolved once, every resolved address
/// checked (<see cref="IsForbidden"/>), and the connection pinned to a checked address
/// (<see cref="CreateHandler"/>), so a DNS answer that changes between check and connect cannot reach
/// an internal address. Every spelling of an address counts: the resolver is what parses
/// <c>127.1</c>, <c>2130706433</c>, <c>0x7f.1</c>, <c>[::ffff:127.0.0.1]</c> and <c>localhost</c>.
/// </summary>
public static class UrlGuard
{
    /// <summary>
    /// Whether the server must not connect to <paramref name="address"/>: unspecified, loopback, private
    /// (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16 with the cloud
    /// metadata address 169.254.169.254, fe80::/10), multicast, reserved (0/8, 240/4, broadcast),
    /// benchmarking (198.18/15), documentation ranges, and IPv4 addresses inside IPv6 (mapped, compatible,
    /// NAT64 64:ff9b::/96, 6to4 2002::/16) by the IPv4 address they carry.
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) return IsForbidden(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 || b[0] >= 224 ||
                   (b[0] == 100 && b[1] >= 64 && b[1] < 128) ||
                   (b[0] == 169 && b[1] == 254) ||
                   (b[0] == 172 && b[1] >= 16 && b[1] < 32) ||
                   (b[0] == 192 && b[1] == 168) ||
                   (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) ||
                   (b[0] == 198 && b[1] is 18 or 19) ||
                   (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
                   (b[0] == 203 && b[1] == 0 && b[2] == 113);
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        var v6 = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6None)) return true;
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return true;
        if ((v6[0] & 0xfe) == 0xfc) return true;                                   // fc00::/7 unique local (fd00:ec2::254 metadata)
        if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) return true; // 2001:db8::/32 documentation
        if (v6[0] == 0x20 && v6[1] == 0x02) return IsForbidden(new IPAddress(v6[2..6]));  // 6to4
        var high = v6[..12];
        if (high.All(x => x == 0)) return IsForbidden(new IPAddress(v6[12..]));      // IPv4-compatible ::a.b.c.d
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4..12].All(x => x == 0))
            return IsForbidden(new IPAddress(v6[12..]));                              // NAT64
        return false;
    }

    /// <summary>
    /// Checks <paramref name="url"/>'s form: absolute, https (http only when <paramref name="allowLoopback"/>),
    /// no user info. 400 VALIDATION_ERROR naming <paramref name="field"/> otherwise.
    /// </summary>
    public static Uri ParseUrl(string url, string field, bool allowLoopback)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0)
            throw ApiException.Validation($"{field} must be an absolute https URL", new { field });
        if (uri.Scheme == "http" && !allowLoopback)
            throw ApiException.Validation($"{field} must use https", new { field });
        return uri;
    }

    /// <summary>
    /// Resolves <paramref name="uri"/>'s host once and checks every address; answers the addresses to
    /// connect to. 400 VALIDATION_ERROR naming <paramref name="field"/> when it does not resolve or any
    /// address is forbidden (loopback alone is let through with <paramref name="allowLoopback"/>, for tests).
    /// </summary>
    public static async Task<IPAddress[]> ResolveAsync(Uri uri, string field, bool allowLoopback, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
        }
        catch (SocketException)
        {
            throw ApiException.Validation($"{field}: the host {uri.Host} does not resolve", new { field });
        }
        if (addresses.Length == 0) throw ApiException.Validation($"{field}: the host {uri.Host} does not resolve", new { field });
        foreach (var address in addresses)
        {
            var loopback = IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            if (IsForbidden(address) && !(loopback && allowLoopback))
                throw ApiException.Validation($"{field}: {uri.Host} resolves to an address the server does not call ({address})",
                    new { field, reason = "forbidden_address" });
        }
        return addresses;
    }

    /// <summary>
    /// A handler that connects only to <paramref name="addresses"/> (checked by <see cref="ResolveAsync"/>),
    /// whatever the host name resolves to later, follows no redirects and gives up after <paramref name="connectTimeout"/>.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(IPAddress[] addresses, TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.Zero,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
