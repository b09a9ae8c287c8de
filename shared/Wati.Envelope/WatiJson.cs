using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Wati.Envelope;

/// <summary>
/// JSON rules of the API: snake_case; int64 written as decimal strings and read from number or string;
/// times in RFC 3339 UTC; a missing field keeps its default.
/// </summary>
public static class WatiJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>
    /// New read-only options with the platform's rules. <paramref name="first"/>, when given, is asked for a type's
    /// metadata before reflection (a source-generated context for the hottest answers: cheaper to build at start
    /// and to run); it must name properties as these options do (snake_case).
    /// </summary>
    public static JsonSerializerOptions Create(IJsonTypeInfoResolver? first = null)
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            MaxDepth = 32,
        };
        Configure(o);
        if (first is not null)
        {
            // Then reflection for every other type (with a chain set, MakeReadOnly adds no default of its own).
            o.TypeInfoResolverChain.Add(first);
            o.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        }
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>
    /// Adds the platform's converters to options owned by a host (e.g. ASP.NET Core's). System.Text.Json
    /// applies a converter for <c>T</c> to <c>T?</c> as well (null stays null), so there are no nullable twins.
    /// </summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.Converters.Add(new Int64AsStringConverter());
        o.Converters.Add(new Rfc3339Converter());
    }

    public static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}

/// <summary>int64 as a decimal string on the wire (JavaScript clients lose precision past 2^53).</summary>
public sealed class Int64AsStringConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n)) return n;
        if (reader.TokenType == JsonTokenType.String &&
            long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s))
            return s;
        throw new JsonException("expected an integer (number or decimal string)");
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>RFC 3339 in UTC with a <c>Z</c>; reading accepts any offset.</summary>
public sealed class Rfc3339Converter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String &&
            DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t;
        throw new JsonException("expected an RFC 3339 time");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(WatiJson.FormatTime(value));
}
