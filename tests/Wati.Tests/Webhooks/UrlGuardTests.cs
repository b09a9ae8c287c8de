using System.Net;
using Wati.Envelope;
using Wati.Platform.Webhooks;

namespace Wati.Tests.Webhooks;

/// <summary>The SSRF guard's address classifier and resolver on every spelling of an internal address.</summary>
public sealed class UrlGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1")]
    [InlineData("2130706433")]
    [InlineData("0x7f.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:a9fe:a9fe")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:7f00:0001::")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fc00::1")]
    [InlineData("fe80::1")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("255.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("198.18.0.1")]
    public void InternalAddressesAreForbiddenInEverySpelling(string spelling) =>
        Assert.True(UrlGuard.IsForbidden(IPAddress.Parse(spelling)), spelling);

    /// <summary>
    /// Issue 24 finding 11: the IPv4-embedding and special-purpose IPv6 forms of the IANA registry, each
    /// decided in <see cref="UrlGuard"/>'s doc comment with its RFC.
    /// </summary>
    [Theory]
    [InlineData("::ffff:0:127.0.0.1")]        // IPv4-translated, RFC 2765 (refused whatever it carries)
    [InlineData("::ffff:0:8.8.8.8")]
    [InlineData("::ffff:0:a9fe:a9fe")]
    [InlineData("64:ff9b:1::a9fe:a9fe")]      // local-use NAT64, RFC 8215
    [InlineData("64:ff9b:1::808:808")]
    [InlineData("64:ff9b:1:ffff::1")]
    [InlineData("64:ff9b::7f00:1")]           // well-known NAT64, RFC 6052, carrying loopback
    [InlineData("64:ff9b::a00:1")]            // ... carrying 10.0.0.1
    [InlineData("64:ff9b:0:0:1::808:808")]    // 64:ff9b::/32 outside the /96
    [InlineData("2002:a00:1::1")]             // 6to4 carrying 10.0.0.1, RFC 3056
    [InlineData("2002:c0a8:101::")]           // 6to4 carrying 192.168.1.1
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo, RFC 4380
    [InlineData("2001::1")]
    [InlineData("::8.8.8.8")]                 // IPv4-compatible, RFC 4291 (deprecated)
    [InlineData("::0.0.0.2")]
    [InlineData("100::1")]                    // discard-only, RFC 6666
    [InlineData("2001:2::1")]                 // benchmarking, RFC 5180
    [InlineData("2001:10::1")]                // ORCHID, RFC 4843
    [InlineData("2001:20::1")]                // ORCHIDv2, RFC 7343
    [InlineData("2001:db8::1")]               // documentation, RFC 3849
    [InlineData("3fff::1")]                   // documentation, RFC 9637
    [InlineData("3fff:fff::1")]
    [InlineData("5f00::1")]                   // SRv6 SIDs, RFC 9602
    [InlineData("fec0::1")]                   // site-local, RFC 3879
    [InlineData("192.88.99.1")]               // 6to4 relay anycast, RFC 7526
    public void IPv4EmbeddingAndSpecialPurposeIPv6FormsAreForbidden(string spelling) =>
        Assert.True(UrlGuard.IsForbidden(IPAddress.Parse(spelling)), spelling);

    [Theory]
    [InlineData("64:ff9b::808:808")]          // well-known NAT64 to a public IPv4 host: reachable from IPv6-only networks
    [InlineData("2002:808:808::1")]           // 6to4 of a public IPv4 address
    [InlineData("2001:4860:4860::8888")]      // an ordinary global address
    [InlineData("3fff:1000::1")]              // just past 3fff::/20
    [InlineData("2001:4:112::1")]             // AS112-v6, RFC 7535: globally reachable
    public void PublicIPv6FormsStayAllowed(string spelling) => Assert.False(UrlGuard.IsForbidden(IPAddress.Parse(spelling)), spelling);

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void PublicAddressesAreAllowed(string spelling) => Assert.False(UrlGuard.IsForbidden(IPAddress.Parse(spelling)), spelling);

    [Theory]
    [InlineData("https://localhost/hook")]
    [InlineData("https://127.1/hook")]
    [InlineData("https://2130706433/hook")]
    [InlineData("https://0x7f000001/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]
    [InlineData("https://[::1]:8443/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.5/")]
    public async Task UrlsResolvingToInternalAddressesAreRefusedNamingTheField(string url)
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => UrlGuard.ResolveAsync(new Uri(url), "webhook_url", allowLoopback: false, default));
        Assert.Equal(ErrorCode.ValidationError, e.Code);
        Assert.Contains("webhook_url", e.Message);
    }

    [Fact]
    public async Task TheLoopbackAllowanceLetsLoopbackThroughButNeverMetadataOrPrivateRanges()
    {
        Assert.NotEmpty(await UrlGuard.ResolveAsync(new Uri("http://127.0.0.1:1/x"), "f", allowLoopback: true, default));
        Assert.NotEmpty(await UrlGuard.ResolveAsync(new Uri("http://[::ffff:127.0.0.1]:1/x"), "f", allowLoopback: true, default));
        await Assert.ThrowsAsync<ApiException>(() => UrlGuard.ResolveAsync(new Uri("https://169.254.169.254/"), "f", true, default));
        await Assert.ThrowsAsync<ApiException>(() => UrlGuard.ResolveAsync(new Uri("https://192.168.0.10/"), "f", true, default));
    }

    [Theory]
    [InlineData("http://example.com/hook", false)]
    [InlineData("ftp://example.com/hook", true)]
    [InlineData("https://user:pw@example.com/hook", true)]
    [InlineData("/relative", true)]
    public void OnlyAbsoluteHttpsWithoutUserInfoIsAccepted(string url, bool allowLoopback) =>
        Assert.Equal(ErrorCode.ValidationError, Assert.Throws<ApiException>(() => UrlGuard.ParseUrl(url, "webhook_url", allowLoopback)).Code);
}
