using Microsoft.Extensions.Logging;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Storage;
using Wati.Platform.Uploads;

namespace Wati.Platform.Manifest;

/// <summary>The answer to a delete: which entry went.</summary>
public sealed record DeletedEntry(string Id, bool Deleted);

/// <summary>
/// The public catalogue: asset packs and portraits, curated by admins. Files are written before
/// their row and removed after it, so a listed entry never points at a missing file; the worst a
/// crash leaves is an unreachable file.
/// </summary>
public sealed class ManifestService(ITableStore store, IObjectStore objects, IIdGenerator ids, TimeProvider time,
    ILogger<ManifestService> logger)
{
    private const string PackPrefix = "pck_";
    private const string PortraitPrefix = "prt_";
    private static readonly TimeSpan UrlLifetime = TimeSpan.FromHours(1);

    public async Task<Page<AssetPack>> ListPacksAsync(string? category, string? target, PageRequest page, CancellationToken ct)
    {
        var rows = await TablePaging.ReadPageAsync(store, TableNames.Packs, new TableQuery(PackRow.Partition), page,
            e => (category is null || e.GetString("category") == category) && (target is null || e.GetString("target") == target), ct);
        var items = new List<AssetPack>(rows.Items.Count);
        foreach (var row in rows.Items) items.Add(await ToPackAsync(PackRow.From(row), ct));
        return new Page<AssetPack>(items, rows.Total, page);
    }

    public async Task<AssetPack> GetPackAsync(string id, CancellationToken ct) =>
        await ToPackAsync(PackRow.From(await FindAsync(PackRow.Partition, PackPrefix, id, "pack", ct)), ct);

    public async Task<AssetPack> CreatePackAsync(NewPack draft, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // Descending ids as row keys: the partition's natural (ascending) order is newest first.
        var id = PackPrefix + ids.NewDescendingId(now);
        var files = new List<(string Key, Upload Upload)> { ($"manifest/{id}/cover.{draft.Cover.Info.Extension}", draft.Cover) };
        files.AddRange(draft.Assets.Select((a, i) => ($"manifest/{id}/assets/{i}.{a.Info.Extension}", a)));

        var stored = files.Select(f => new StoredImage(f.Key, f.Upload.Info.Width, f.Upload.Info.Height)).ToList();
        var row = new PackRow(id, draft.Name, draft.Category, draft.Target, draft.Description, stored[0], stored[1..], now);
        await StoreAsync(row.ToEntity(), files, ct);
        return await ToPackAsync(row, ct);
    }

    public async Task<DeletedEntry> DeletePackAsync(string id, CancellationToken ct)
    {
        var row = PackRow.From(await FindAsync(PackRow.Partition, PackPrefix, id, "pack", ct));
        await RemoveAsync(PackRow.Partition, id, row.Keys, "pack", ct);
        return new DeletedEntry(id, true);
    }

    public async Task<Page<Portrait>> ListPortraitsAsync(PageRequest page, CancellationToken ct)
    {
        var rows = await TablePaging.ReadPageAsync(store, TableNames.Portraits, new TableQuery(PortraitRow.Partition), page, null, ct);
        var items = new List<Portrait>(rows.Items.Count);
        foreach (var row in rows.Items) items.Add(await ToPortraitAsync(PortraitRow.From(row), ct));
        return new Page<Portrait>(items, rows.Total, page);
    }

    public async Task<Portrait> CreatePortraitAsync(NewPortrait draft, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var id = PortraitPrefix + ids.NewDescendingId(now);
        var key = $"portraits/public/{id}.{draft.Image.Info.Extension}";
        var row = new PortraitRow(id, draft.Name, draft.Tags, new StoredImage(key, draft.Image.Info.Width, draft.Image.Info.Height), now);
        await StoreAsync(row.ToEntity(), [(key, draft.Image)], ct);
        return await ToPortraitAsync(row, ct);
    }

    public async Task<DeletedEntry> DeletePortraitAsync(string id, CancellationToken ct)
    {
        var row = PortraitRow.From(await FindAsync(PortraitRow.Partition, PortraitPrefix, id, "portrait", ct));
        await RemoveAsync(PortraitRow.Partition, id, [row.Image.Key], "portrait", ct);
        return new DeletedEntry(id, true);
    }

    /// <summary>
    /// Portrait <paramref name="id"/>'s stored image as a model input given in <paramref name="field"/> (issue 18,
    /// item 4), its bytes read when <paramref name="withBytes"/>; null when there is no such portrait. The image
    /// was checked and normalised when the admin added it, so it is used as stored.
    /// </summary>
    public async Task<Upload?> PortraitInputAsync(string field, string id, bool withBytes, CancellationToken ct)
    {
        if (await TryFindAsync(PortraitRow.Partition, PortraitPrefix, id, ct) is not { } entity) return null;
        var image = PortraitRow.From(entity).Image;
        if (!withBytes)
        {
            var format = Path.GetExtension(image.Key).ToLowerInvariant() switch { ".jpg" => ImageFormat.Jpeg, ".png" => ImageFormat.Png, _ => ImageFormat.WebP };
            return new Upload(field, [], new ImageInfo(format, image.Width, image.Height));
        }
        await using var stored = await objects.GetAsync(image.Key, ct);
        if (stored is null) return null;
        using var buffer = new MemoryStream();
        await stored.Content.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        var info = ImageProbe.TryProbe(bytes) ?? throw new InvalidOperationException($"portrait {id}'s stored image is not an image");
        return new Upload(field, bytes, new ImageInfo(info.Format, image.Width, image.Height));
    }

    private async Task<TableEntity> FindAsync(string partition, string prefix, string id, string what, CancellationToken ct) =>
        await TryFindAsync(partition, prefix, id, ct) ?? throw ApiException.NotFound(what);

    private async Task<TableEntity?> TryFindAsync(string partition, string prefix, string id, CancellationToken ct)
    {
        // Route values are client text: anything that is not one of our ids cannot be a row key, and
        // some characters (#, ?) would be refused by the table store as an argument error (500).
        var plausible = id.Length <= 64 && id.StartsWith(prefix, StringComparison.Ordinal) &&
                        id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        return plausible ? await store.GetAsync(ManifestRows.TableOf(partition), partition, id, ct) : null;
    }

    private async Task StoreAsync(TableEntity row, IReadOnlyList<(string Key, Upload Upload)> files, CancellationToken ct)
    {
        var written = new List<string>(files.Count);
        try
        {
            foreach (var (key, upload) in files)
            {
                // Listed before the put: a put that fails half way may still leave a partial object.
                written.Add(key);
                await objects.PutAsync(key, new MemoryStream(upload.Bytes, writable: false), upload.Info.ContentType, ct);
            }
            await store.InsertAsync(ManifestRows.TableOf(row.PartitionKey), row, ct);
        }
        catch
        {
            await DeleteFilesAsync(written);
            throw;
        }
    }

    private async Task RemoveAsync(string partition, string id, IEnumerable<string> keys, string what, CancellationToken ct)
    {
        // Row first: once it is gone nothing lists the files, so deleting them can no longer break a reader.
        if (!await store.DeleteAsync(ManifestRows.TableOf(partition), partition, id, "*", ct)) throw ApiException.NotFound(what);
        await DeleteFilesAsync(keys);
    }

    /// <summary>
    /// Best effort and deliberately not cancellable: it runs after the row changed (or failed), when
    /// stopping half way would only leave more orphans. A failure is logged, never answered.
    /// </summary>
    private async Task DeleteFilesAsync(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            try
            {
                await objects.DeleteAsync(key, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not delete catalogue file {Key}; it is unreachable and can be removed by hand", key);
            }
        }
    }

    private async Task<AssetPack> ToPackAsync(PackRow row, CancellationToken ct)
    {
        var cover = await SignAsync(row.Cover, ct);
        var assets = new List<PackAsset>(row.Assets.Count);
        for (var i = 0; i < row.Assets.Count; i++)
        {
            var a = await SignAsync(row.Assets[i], ct);
            assets.Add(new PackAsset(i, a.Key, a.Url, a.ExpiresIn, a.Width, a.Height));
        }
        return new AssetPack(row.Id, row.Name, row.Category, row.Target, row.Description, cover, assets, assets.Count, row.CreatedAt);
    }

    private async Task<Portrait> ToPortraitAsync(PortraitRow row, CancellationToken ct) =>
        new(row.Id, row.Name, row.Tags, await SignAsync(row.Image, ct), row.CreatedAt);

    private async Task<ManifestImage> SignAsync(StoredImage image, CancellationToken ct)
    {
        var signed = await objects.GetSignedUrlAsync(image.Key, UrlLifetime, ct);
        return new ManifestImage(image.Key, signed.Url, signed.ExpiresIn, image.Width, image.Height);
    }
}
