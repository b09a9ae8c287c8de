using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>Issue 24 finding 12: <c>page=2147483647</c> overflowed the offset and answered page 1; beyond the addressable range is a 400 naming <c>page</c>.</summary>
public sealed class PagingBoundsTests(PagingBoundsTests.App app) : IClassFixture<PagingBoundsTests.App>
{
    public sealed class App() : WatiAppFactory();

    [Theory]
    [InlineData(int.MaxValue, 20)]
    [InlineData(int.MaxValue, 1)]
    [InlineData(107_374_183, 20)]
    public void APageBeyondTheAddressableRangeIsRefusedNamingPage(int page, int size)
    {
        var e = Assert.Throws<ApiException>(() => PageRequest.Create(page, size));
        Assert.Equal(ErrorCode.ValidationError, e.Code);
        Assert.Contains("page", e.Message);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(1)]
    [InlineData(100)]
    public void TheLastAddressablePageIsAcceptedAndItsOffsetIsExact(int size)
    {
        var last = new PageRequest(1, size).LastAddressablePage;
        var request = PageRequest.Create(last, size);
        Assert.Equal((last - 1L) * size, request.Offset);
        Assert.True(request.Offset <= PageRequest.MaxOffset);
        Assert.Throws<ApiException>(() => PageRequest.Create(last + 1, size));
    }

    [Fact]
    public async Task TheLedgerAnswers400ForPageIntMax()
    {
        var (user, _) = await app.Api().NewUserAsync();
        var r = (await user.GetAsync($"/v1/credits/ledger?page={int.MaxValue}&page_size=20")).Expect(400, "VALIDATION_ERROR");
        Assert.Equal("page", r.Json.GetProperty("error").GetProperty("details").GetProperty("field").GetString());
        (await user.GetAsync("/v1/credits/ledger?page=2&page_size=20")).Expect(200);
    }
}
