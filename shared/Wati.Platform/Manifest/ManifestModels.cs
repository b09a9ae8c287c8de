namespace Wati.Platform.Manifest;

/// <summary>A stored image as answered: its key, a fresh signed URL and its size in pixels.</summary>
public sealed record ManifestImage(string Key, string Url, int ExpiresIn, int Width, int Height);

/// <summary>One image of a pack; <see cref="Index"/> is its position, from 0, as uploaded.</summary>
public sealed record PackAsset(int Index, string Key, string Url, int ExpiresIn, int Width, int Height);

/// <summary>An asset pack of the public catalogue (<c>/v1/manifest</c>).</summary>
public sealed record AssetPack(
    string Id,
    string Name,
    string Category,
    string Target,
    string Description,
    ManifestImage Cover,
    IReadOnlyList<PackAsset> Assets,
    int AssetCount,
    DateTimeOffset CreatedAt);

/// <summary>A public portrait (<c>/v1/portraits</c>).</summary>
public sealed record Portrait(string Id, string Name, IReadOnlyList<string> Tags, ManifestImage Image, DateTimeOffset CreatedAt);
