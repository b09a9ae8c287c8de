using System.Text.Json;
using Wati.Envelope;
using E = Wati.Envelope.Envelope;

namespace Wati.Tests.Envelope;

public class EnvelopeJsonTests
{
    private sealed record Sample(long Balance, int Count, DateTimeOffset CreatedAt, string DisplayName, long? Missing);

    private sealed class Body
    {
        public long Amount { get; init; } = 7;
        public string Name { get; init; } = "default";
    }

    [Fact]
    public void SuccessEnvelopeIsSnakeCaseWithInt64AsStringsAndUtcTimes()
    {
        var at = new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.FromHours(2));
        var json = JsonSerializer.Serialize(E.Ok("req_1", new Sample(9_007_199_254_740_993, 3, at, "Ana", null)), WatiJson.Options);
        var root = JsonDocument.Parse(json).RootElement;

        Assert.Equal("req_1", root.GetProperty("request_id").GetString());
        Assert.Equal("success", root.GetProperty("status").GetString());
        var data = root.GetProperty("data");
        Assert.Equal("9007199254740993", data.GetProperty("balance").GetString());
        Assert.Equal(JsonValueKind.Number, data.GetProperty("count").ValueKind);
        Assert.Equal("2026-11-23T21:30:00Z", data.GetProperty("created_at").GetString());
        Assert.Equal("Ana", data.GetProperty("display_name").GetString());
        Assert.Equal(JsonValueKind.Null, data.GetProperty("missing").ValueKind);
        Assert.Equal(JsonValueKind.Object, root.GetProperty("meta").ValueKind);
        Assert.False(root.TryGetProperty("error", out _));
    }

    [Fact]
    public void ErrorEnvelopeCarriesMessageCodeAndDetails()
    {
        var json = JsonSerializer.Serialize(E.Fail("req_2", ErrorCode.InsufficientBalance, "short", new { balance = 3L }), WatiJson.Options);
        var root = JsonDocument.Parse(json).RootElement;

        Assert.Equal("error", root.GetProperty("status").GetString());
        var error = root.GetProperty("error");
        Assert.Equal("INSUFFICIENT_BALANCE", error.GetProperty("code").GetString());
        Assert.Equal("short", error.GetProperty("message").GetString());
        Assert.Equal("3", error.GetProperty("details").GetProperty("balance").GetString());
        Assert.False(root.TryGetProperty("data", out _));
    }

    [Fact]
    public void PaginationFieldsStayNumbers()
    {
        var json = JsonSerializer.Serialize(E.Ok("r", new ItemList<int>([1, 2]), pagination: Pagination.Of(41, 2, 20)), WatiJson.Options);
        var p = JsonDocument.Parse(json).RootElement.GetProperty("pagination");

        Assert.Equal(41, p.GetProperty("total").GetInt32());
        Assert.Equal(2, p.GetProperty("page").GetInt32());
        Assert.Equal(20, p.GetProperty("page_size").GetInt32());
        Assert.Equal(3, p.GetProperty("total_pages").GetInt32());
    }

    [Theory]
    [InlineData("""{"amount": 12}""", 12)]
    [InlineData("""{"amount": "12"}""", 12)]
    [InlineData("""{"amount": "-5"}""", -5)]
    [InlineData("""{}""", 7)]
    public void Int64IsReadFromNumberOrStringAndMissingFieldsKeepDefaults(string json, long expected)
    {
        var body = JsonSerializer.Deserialize<Body>(json, WatiJson.Options)!;
        Assert.Equal(expected, body.Amount);
        Assert.Equal("default", body.Name);
    }

    [Theory]
    [InlineData("""{"amount": "twelve"}""")]
    [InlineData("""{"amount": 1.5}""")]
    [InlineData("""{"name": 12}""")]
    [InlineData("""{"amount": """)]
    public void WrongTypesAndMalformedJsonThrowJsonException(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(json, WatiJson.Options));

    [Fact]
    public void EveryErrorCodeHasWireNameStatusAndLegacyCode()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Assert.Matches("^[A-Z_]+$", code.Wire());
            Assert.InRange(code.HttpStatus(), 400, 599);
            Assert.True(ErrorCodes.TryParseWire(code.Wire(), out var back) && back == code);
            Assert.InRange(code.LegacyCode(), 1, 16);
        }
        Assert.Equal(402, ErrorCode.InsufficientBalance.HttpStatus());
        Assert.Equal(9, ErrorCode.InsufficientBalance.LegacyCode());
        Assert.Equal(429, ErrorCode.RateLimitExceeded.HttpStatus());
    }
}
