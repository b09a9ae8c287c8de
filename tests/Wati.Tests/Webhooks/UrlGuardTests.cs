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
