using System.Text.Json;
using Wati.Envelope;

namespace Wati.Tests.Envelope;

/// <summary>
/// Nullable int64 and time fields follow the same rules as their plain twins, with no converters of
/// their own: System.Text.Json lifts the plain converters to <c>T?</c>.
/// </summary>
public sealed class NullableJsonTests
{
    private sealed record Row(long? Amount, DateTimeOffset? At);

    [Fact]
    public void NullableValuesAreWrittenLikeThePlainOnes()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234567);

        var json = JsonSerializer.Serialize(new Row(9_007_199_254_740_993, at), WatiJson.Options);

        Assert.Equal("""{"amount":"9007199254740993","at":"2026-01-02T01:04:05.1234567Z"}""", json);
        Assert.Equal("""{"amount":null,"at":null}""", JsonSerializer.Serialize(new Row(null, null), WatiJson.Options));
    }

    [Theory]
    [InlineData("""{"amount":"-42","at":"2026-01-02T03:04:05+02:00"}""", -42L, "2026-01-02T01:04:05Z")]
    [InlineData("""{"amount":-42,"at":"2026-01-02T01:04:05Z"}""", -42L, "2026-01-02T01:04:05Z")]
    [InlineData("""{"amount":null,"at":null}""", null, null)]
    [InlineData("""{}""", null, null)]
    public void NullableValuesAreReadLikeThePlainOnes(string json, long? amount, string? at)
    {
        var row = JsonSerializer.Deserialize<Row>(json, WatiJson.Options)!;

        Assert.Equal(amount, row.Amount);
        Assert.Equal(at is null ? null : DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), row.At);
    }

    [Fact]
    public void ANullableInt64ThatIsNotAnIntegerIsRejected()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Row>("""{"amount":"12x"}""", WatiJson.Options));
    }
}
