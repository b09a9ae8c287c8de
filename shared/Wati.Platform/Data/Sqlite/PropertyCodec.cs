using System.Globalization;
using System.Text.Json;

namespace Wati.Platform.Data.Sqlite;

/// <summary>
/// Properties as a JSON object of name → [type tag, value]. The tag keeps types exact where JSON
/// would blur them: longs beyond 2^53, doubles (kept as round-trip strings so NaN and ±∞ survive),
/// instants (UTC ticks, full precision) and binary (base64).
/// </summary>
internal static class PropertyCodec
{
    private const string StringTag = "s", Int64Tag = "i", BoolTag = "b", DoubleTag = "d", TimeTag = "t", BinaryTag = "x";

    public static string Encode(IEnumerable<KeyValuePair<string, object?>> properties)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, raw) in properties)
            {
                var value = PropertyValues.Normalize(raw);
                if (value is null) continue;
                json.WriteStartArray(name);
                switch (value)
                {
                    case string s: json.WriteStringValue(StringTag); json.WriteStringValue(s); break;
                    case long l: json.WriteStringValue(Int64Tag); json.WriteNumberValue(l); break;
                    case bool b: json.WriteStringValue(BoolTag); json.WriteBooleanValue(b); break;
                    case double d: json.WriteStringValue(DoubleTag); json.WriteStringValue(d.ToString("R", CultureInfo.InvariantCulture)); break;
                    case DateTimeOffset t: json.WriteStringValue(TimeTag); json.WriteNumberValue(t.UtcTicks); break;
                    case byte[] x: json.WriteStringValue(BinaryTag); json.WriteBase64StringValue(x); break;
                    default: throw new ArgumentException($"Property '{name}' has unsupported type {value.GetType().Name}.");
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static void DecodeInto(string encoded, IDictionary<string, object?> target)
    {
        using var doc = JsonDocument.Parse(encoded);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            var tag = property.Value[0].GetString();
            var v = property.Value[1];
            target[property.Name] = tag switch
            {
                StringTag => v.GetString(),
                Int64Tag => v.GetInt64(),
                BoolTag => v.GetBoolean(),
                DoubleTag => double.Parse(v.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
                TimeTag => new DateTimeOffset(v.GetInt64(), TimeSpan.Zero),
                BinaryTag => v.GetBytesFromBase64(),
                _ => throw new InvalidDataException($"Unknown property type tag '{tag}' for '{property.Name}'."),
            };
        }
    }
}
