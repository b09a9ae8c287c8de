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

    /// <summary>
    /// Reads what <see cref="Encode"/> wrote, as the stored UTF-8 bytes, into <paramref name="target"/> with a
    /// forward-only reader (no document is built: this runs for every row read).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not what <see cref="Encode"/> writes.</exception>
    public static void DecodeInto(ReadOnlySpan<byte> utf8, IDictionary<string, object?> target)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            Expect(ref reader, JsonTokenType.StartObject);
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName) throw Bad("a property name");
                var name = reader.GetString()!;
                Expect(ref reader, JsonTokenType.StartArray);
                Expect(ref reader, JsonTokenType.String);
                var tag = reader.GetString();
                Next(ref reader);
                target[name] = tag switch
                {
                    StringTag => reader.GetString(),
                    Int64Tag => reader.GetInt64(),
                    BoolTag => reader.GetBoolean(),
                    DoubleTag => double.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
                    TimeTag => new DateTimeOffset(reader.GetInt64(), TimeSpan.Zero),
                    BinaryTag => reader.GetBytesFromBase64(),
                    _ => throw new InvalidDataException($"Unknown property type tag '{tag}' for '{name}'."),
                };
                Expect(ref reader, JsonTokenType.EndArray);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException("Stored properties are not in the codec's format.", e);
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw Bad("more JSON");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type) throw Bad(type.ToString());
    }

    private static InvalidDataException Bad(string expected) => new($"Stored properties: expected {expected}.");
}
