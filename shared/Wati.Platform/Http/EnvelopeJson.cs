using System.Text.Json;
using System.Text.Json.Serialization;
using Wati.Envelope;
using Wati.Platform.Credits;
using Wati.Platform.Health;
using Wati.Platform.Manifest;

namespace Wati.Platform.Http;

/// <summary>
/// The options envelopes are written with: <see cref="WatiJson"/>'s rules, with source-generated metadata for the
/// answers a client or a probe asks for most (liveness, balance, the public catalogue, errors) and reflection for
/// the rest. The generated metadata is built without reflection when first needed (a cold start's first answer)
/// and runs faster; the contract tests check every answer's shape either way.
/// </summary>
public static class EnvelopeJson
{
    public static JsonSerializerOptions Options { get; } = WatiJson.Create(HotAnswersJsonContext.Default);
}

/// <summary>Source-generated metadata for the hottest envelopes; names follow <see cref="WatiJson"/> (snake_case).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.Unspecified, NumberHandling = JsonNumberHandling.Strict,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Envelope<Liveness>))]
[JsonSerializable(typeof(Envelope<CreditBalance>))]
[JsonSerializable(typeof(Envelope<ItemList<AssetPack>>))]
[JsonSerializable(typeof(Envelope<object>))]
internal sealed partial class HotAnswersJsonContext : JsonSerializerContext;
