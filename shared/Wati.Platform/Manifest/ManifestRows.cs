using System.Text.Json;
using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Manifest;

/// <summary>An image as recorded in a row: the URL is signed afresh on every read, so it is not stored.</summary>
public sealed record StoredImage(string Key, int Width, int Height);

/// <summary>A pack row in the <c>packs</c> table (partition <c>pack</c>, row key = pack id).</summary>
internal sealed record PackRow(string Id, string Name, string Category, string Target, string Description,
    StoredImage Cover, IReadOnlyList<StoredImage> Assets, DateTimeOffset CreatedAt)
{
    public const string Partition = "pack";

    public IEnumerable<string> Keys => Assets.Select(a => a.Key).Prepend(Cover.Key);

    public TableEntity ToEntity() => new TableEntity(Partition, Id)
        .With("name", Name).With("category", Category).With("target", Target).With("description", Description)
        .With("cover", ManifestRows.Encode(Cover))
        // The asset list is one JSON property: a pack is read whole, and a row has at most 252 properties.
        .With("assets", ManifestRows.Encode(Assets))
        .With("asset_count", Assets.Count)
        .With("created_at", CreatedAt);

    public static PackRow From(TableEntity e) => new(e.RowKey,
        e.GetString("name") ?? "", e.GetString("category") ?? "", e.GetString("target") ?? "", e.GetString("description") ?? "",
        ManifestRows.Decode<StoredImage>(e.GetString("cover")) ?? new StoredImage("", 0, 0),
        ManifestRows.Decode<List<StoredImage>>(e.GetString("assets")) ?? [],
        e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch);
}

/// <summary>A portrait row in the <c>portraits</c> table (partition <c>portrait</c>, row key = portrait id).</summary>
internal sealed record PortraitRow(string Id, string Name, IReadOnlyList<string> Tags, StoredImage Image, DateTimeOffset CreatedAt)
{
    public const string Partition = "portrait";

    public TableEntity ToEntity() => new TableEntity(Partition, Id)
        .With("name", Name).With("tags", ManifestRows.Encode(Tags)).With("image", ManifestRows.Encode(Image))
        .With("created_at", CreatedAt);

    public static PortraitRow From(TableEntity e) => new(e.RowKey, e.GetString("name") ?? "",
        ManifestRows.Decode<List<string>>(e.GetString("tags")) ?? [],
        ManifestRows.Decode<StoredImage>(e.GetString("image")) ?? new StoredImage("", 0, 0),
        e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch);
}

internal static class ManifestRows
{
    /// <summary>The table of a row's partition: packs and portraits each have their own (design section 6).</summary>
    public static string TableOf(string partition) => partition switch
    {
        PackRow.Partition => TableNames.Packs,
        PortraitRow.Partition => TableNames.Portraits,
        _ => throw new ArgumentOutOfRangeException(nameof(partition), partition, "not a manifest partition"),
    };

    public static string Encode<T>(T value) => JsonSerializer.Serialize(value, WatiJson.Options);

    public static T? Decode<T>(string? json) where T : class =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<T>(json, WatiJson.Options);
}
