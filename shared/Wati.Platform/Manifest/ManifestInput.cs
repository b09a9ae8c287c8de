using Wati.Envelope;
using Wati.Platform.Uploads;

namespace Wati.Platform.Manifest;

/// <summary>A pack as the admin form gives it, already checked.</summary>
public sealed record NewPack(string Name, string Category, string Target, string Description, Upload Cover, IReadOnlyList<Upload> Assets);

/// <summary>A portrait as the admin form gives it, already checked.</summary>
public sealed record NewPortrait(string Name, IReadOnlyList<string> Tags, Upload Image);

/// <summary>
/// The catalogue's form rules. Text fields are checked before any image is read, so a typo in a
/// category is refused without reading twenty images first.
/// </summary>
public static class ManifestInput
{
    public const int MaxAssets = 20;
    public const int MaxTags = 10;
    public const int MaxTagLength = 30;

    public static async Task<NewPack> ReadPackAsync(UploadForm form, CancellationToken ct)
    {
        var name = Required(form.String("name", 100), "name");
        var category = Slug(form.String("category", 50), "category");
        var target = Slug(form.String("target", 50), "target");
        var description = form.String("description", 1000) ?? "";
        var cover = (await form.ImagesAsync(ct, "cover"))["cover"];
        var assets = await form.ImageListAsync("assets", MaxAssets, ct);
        return new NewPack(name, category, target, description, cover, assets);
    }

    public static async Task<NewPortrait> ReadPortraitAsync(UploadForm form, CancellationToken ct)
    {
        var name = Required(form.String("name", 100), "name");
        var tags = Tags(form.String("tags", 1000));
        var image = (await form.ImagesAsync(ct, "image"))["image"];
        return new NewPortrait(name, tags, image);
    }

    /// <summary>
    /// Lowercase letters, digits and single inner hyphens: these values are matched exactly by the
    /// list filters, so one spelling per value keeps "GFPGAN" and "gfpgan" from being two targets.
    /// </summary>
    public static bool IsSlug(string value)
    {
        if (value.Length == 0 || value[0] == '-' || value[^1] == '-' || value.Contains("--", StringComparison.Ordinal)) return false;
        return value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
    }

    private static string Required(string? value, string field) =>
        value ?? throw ApiException.Validation($"{field} is required", new { field });

    private static string Slug(string? value, string field)
    {
        var slug = Required(value, field);
        return IsSlug(slug)
            ? slug
            : throw ApiException.Validation($"{field} must be lowercase letters, digits and hyphens (e.g. replace-style)",
                new { field, value = slug });
    }

    /// <summary>Comma-separated; blanks dropped, duplicates (ignoring case) kept once in their first spelling.</summary>
    private static IReadOnlyList<string> Tags(string? raw)
    {
        if (raw is null) return [];
        var tags = raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (tags.Count > MaxTags)
            throw ApiException.Validation($"at most {MaxTags} tags", new { field = "tags", count = tags.Count, max = MaxTags });
        if (tags.FirstOrDefault(t => t.Length > MaxTagLength) is { } tooLong)
            throw ApiException.Validation($"a tag is at most {MaxTagLength} characters", new { field = "tags", value = tooLong });
        return tags;
    }
}
