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
    /// Whether the server must not connect to <paramref name="address"/>. IPv4 (IANA IPv4 Special-Purpose
    /// Address Registry, RFC 6890): unspecified and "this network" 0/8, loopback 127/8, private 10/8,
    /// 172.16/12, 192.168/16 (RFC 1918), shared 100.64/10 (RFC 6598), link-local 169.254/16 with the cloud
    /// metadata address (RFC 3927), IETF protocol assignments 192.0.0/24 (RFC 6890), documentation
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24 (RFC 5737), the deprecated 6to4 relay anycast 192.88.99/24
    /// (RFC 7526), benchmarking 198.18/15 (RFC 2544), multicast, reserved 240/4 and broadcast.
    /// IPv6 (IANA IPv6 Special-Purpose Address Registry): see <see cref="IsForbiddenV6"/>.
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
                   (b[0] == 192 && b[1] == 88 && b[2] == 99) ||
                   (b[0] == 198 && b[1] is 18 or 19) ||
                   (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
                   (b[0] == 203 && b[1] == 0 && b[2] == 113);
        }
        return address.AddressFamily != AddressFamily.InterNetworkV6 || IsForbiddenV6(address.GetAddressBytes());
    }

    /// <summary>
    /// The IPv6 rules (issue 24 finding 11), each decided from the IANA IPv6 Special-Purpose Address Registry:
    /// <list type="bullet">
    /// <item><c>::/96</c>: unspecified, loopback and IPv4-compatible addresses (RFC 4291 section 2.5.5.1,
    /// deprecated): refused whatever they carry.</item>
    /// <item><c>::ffff:0:0/96</c> IPv4-mapped (RFC 4291): judged by the IPv4 address it carries (in <see cref="IsForbidden"/>).</item>
    /// <item><c>::ffff:0:0:0/96</c> IPv4-translated (RFC 2765, SIIT; obsoleted by RFC 6145): refused whatever it carries.</item>
    /// <item><c>64:ff9b::/96</c> well-known NAT64 prefix (RFC 6052): judged by the IPv4 address in its last 32 bits,
    /// so a public IPv4 host stays reachable from an IPv6-only network; the rest of <c>64:ff9b::/32</c>, which holds
    /// the local-use prefix <c>64:ff9b:1::/48</c> (RFC 8215, a network-specific translator whose embedding cannot be
    /// decoded from outside), is refused.</item>
    /// <item><c>2002::/16</c> 6to4 (RFC 3056): judged by the IPv4 address in bits 16-47.</item>
    /// <item><c>2001::/32</c> Teredo (RFC 4380; server and obfuscated client IPv4 inside), <c>2001:2::/48</c>
    /// benchmarking (RFC 5180), <c>2001:10::/28</c> ORCHID (RFC 4843) and <c>2001:20::/28</c> ORCHIDv2 (RFC 7343):
    /// refused (not globally reachable, or tunnels to an IPv4 address).</item>
    /// <item><c>100::/64</c> discard-only (RFC 6666), <c>2001:db8::/32</c> and <c>3fff::/20</c> documentation
    /// (RFC 3849, RFC 9637), <c>5f00::/16</c> SRv6 SIDs (RFC 9602), <c>fc00::/7</c> unique local (RFC 4193, with
    /// fd00:ec2::254 metadata), <c>fe80::/10</c> link-local, <c>fec0::/10</c> site-local (RFC 3879), <c>ff00::/8</c>
    /// multicast: refused.</item>
    /// </list>
    /// </summary>
    private static bool IsForbiddenV6(byte[] v6)
    {
        bool Zero(int from, int to) => v6.AsSpan(from, to - from).IndexOfAnyExcept((byte)0) < 0;
        IPAddress V4(int at) => new(v6.AsSpan(at, 4));
        var w0 = (v6[0] << 8) | v6[1];
        var w1 = (v6[2] << 8) | v6[3];

        if (Zero(0, 12)) return true;                                                  // ::/96 (::, ::1, ::a.b.c.d)
        if (Zero(0, 8) && v6[8] == 0xff && v6[9] == 0xff && v6[10] == 0 && v6[11] == 0) return true; // ::ffff:0:a.b.c.d
        if (w0 == 0x0064 && w1 == 0xff9b) return Zero(4, 12) ? IsForbidden(V4(12)) : true; // 64:ff9b::/96 and /32
        if (w0 == 0x0100 && Zero(2, 8)) return true;                                   // 100::/64 discard-only
        if (w0 == 0x2002) return IsForbidden(V4(2));                                   // 6to4
        if (w0 == 0x2001 && (w1 == 0x0000 || w1 == 0x0db8)) return true;              // Teredo, documentation
        if (w0 == 0x2001 && w1 == 0x0002 && v6[4] == 0 && v6[5] == 0) return true;     // 2001:2::/48 benchmarking
        if (w0 == 0x2001 && (w1 & 0xfff0) is 0x0010 or 0x0020) return true;           // ORCHID, ORCHIDv2
        if (w0 == 0x3fff && (w1 & 0xf000) == 0) return true;                         // 3fff::/20 documentation
        if (w0 == 0x5f00) return true;                                                 // SRv6 SIDs
        if ((v6[0] & 0xfe) == 0xfc) return true;                                       // fc00::/7 unique local
        if (v6[0] == 0xfe && (v6[1] & 0x80) == 0x80) return true;                      // fe80::/10 link-local, fec0::/10 site-local
        return v6[0] == 0xff;                                                          // multicast
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
