using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// Models declared in settings, no code (issue 18, item 3): every child of <c>Wati:Models:Catalog</c> is one
/// Replicate model, e.g. from environment variables <c>Wati__Models__Catalog__upscale__Inputs__image__Kind=image</c>.
/// Read with <see cref="IConfiguration"/>'s section children (<see cref="Bind"/>), keeping each value as written
/// so that <see cref="Problems"/> can name the full key of every mistake; the typed views
/// (<see cref="CatalogInputSettings.IsRequired"/>, <see cref="CatalogInputSettings.MinValue"/>, …) are only
/// meaningful once <see cref="Problems"/> is empty. Configuration keys are case-insensitive, so field names are too.
/// </summary>
public sealed partial class CatalogSettings(IReadOnlyList<CatalogModelSettings> models)
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Wati:Models:Catalog";

    /// <summary>The declared models, ordered by name.</summary>
    public IReadOnlyList<CatalogModelSettings> Models { get; } = models;

    /// <summary>Reads <see cref="Section"/> of <paramref name="configuration"/>; no section means no models.</summary>
    public static CatalogSettings Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new CatalogSettings([.. configuration.GetSection(Section).GetChildren().Select(ModelOf)]);
    }

    private static CatalogModelSettings ModelOf(IConfigurationSection model)
    {
        var name = model.Key;
        var inputs = model.GetSection("Inputs").GetChildren().Select(i => new CatalogInputSettings(i.Key, i["Kind"], i["Required"],
            i["Default"], i["Min"], i["Max"], i["MaxLength"], i["Values"])).ToList();
        var output = model.GetSection("Output");
        var price = model.GetSection("Price");
        var replicate = model.GetSection("Replicate");
        return new CatalogModelSettings(name, model["Description"] ?? "", string.IsNullOrWhiteSpace(model["Route"]) ? $"v1/models/{name}" : model["Route"]!,
            inputs, new CatalogOutputSettings(output["Kind"], output["CountFrom"]), new CatalogPriceSettings(price["Credits"], price["Per"]),
            new CatalogReplicateSettings(replicate["Model"],
                replicate.GetSection("Inputs").GetChildren().Select(m => new KeyValuePair<string, string>(m.Key, m.Value ?? "")).ToList()),
            UnknownKeys(model));
    }

    /// <summary>Keys under a model that no setting reads (a typo would otherwise be ignored), as paths relative to the model.</summary>
    private static List<string> UnknownKeys(IConfigurationSection model)
    {
        var unknown = new List<string>();
        foreach (var child in model.GetChildren())
        {
            if (!ModelKeys.TryGetValue(child.Key, out var known)) unknown.Add(child.Key);
            else if (known is null) // Inputs: each child is a field
                unknown.AddRange(child.GetChildren().SelectMany(field => field.GetChildren()
                    .Where(k => !InputKeys.Contains(k.Key, StringComparer.OrdinalIgnoreCase)).Select(k => $"Inputs:{field.Key}:{k.Key}")));
            else
                unknown.AddRange(child.GetChildren().Where(k => !known.Contains(k.Key, StringComparer.OrdinalIgnoreCase))
                    .Select(k => $"{child.Key}:{k.Key}"));
        }
        return unknown;
    }

    // What a model's section may hold: its settings and the keys under each (null: Inputs, whose children are fields).
    private static readonly Dictionary<string, string[]?> ModelKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Description"] = [],
        ["Route"] = [],
        ["Inputs"] = null,
        ["Output"] = ["Kind", "CountFrom"],
        ["Price"] = ["Credits", "Per"],
        ["Replicate"] = ["Model", "Inputs"],
    };

    private static readonly IReadOnlyList<string> InputKeys = ["Kind", "Required", "Default", "Min", "Max", "MaxLength", "Values"];
}

/// <summary>The kinds and price units a declaration may name (issue 18, item 3), lower case.</summary>
public static class CatalogKinds
{
    /// <summary><c>Inputs:{field}:Kind</c>.</summary>
    public static readonly IReadOnlyList<string> Inputs = ["image", "text", "integer", "number", "enum", "bool"];

    /// <summary><c>Output:Kind</c>.</summary>
    public static readonly IReadOnlyList<string> Outputs = ["image", "images", "video", "audio"];

    /// <summary><c>Price:Per</c> (<c>call</c> when not set).</summary>
    public static readonly IReadOnlyList<string> Pers = ["call", "output"];
}

/// <summary>One declared model, as written. <see cref="Route"/> defaults to <c>v1/models/{name}</c>.</summary>
public sealed record CatalogModelSettings(string Name, string Description, string Route, IReadOnlyList<CatalogInputSettings> Inputs,
    CatalogOutputSettings Output, CatalogPriceSettings Price, CatalogReplicateSettings Replicate, IReadOnlyList<string> UnknownKeys)
{
    /// <summary>The model's own configuration key, <c>Wati:Models:Catalog:{name}</c>.</summary>
    public string Key => $"{CatalogSettings.Section}:{Name}";

    /// <summary>The input named <paramref name="field"/> (case-insensitive, as configuration keys are), or null.</summary>
    public CatalogInputSettings? Input(string field) => Inputs.FirstOrDefault(i => i.Field.Equals(field, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// One input field as written: <paramref name="Kind"/> <c>image|text|integer|number|enum|bool</c>; <paramref name="Values"/>
/// comma-separated, for <c>enum</c>. The typed views are null where a value is missing or does not parse.
/// </summary>
public sealed record CatalogInputSettings(string Field, string? Kind, string? Required, string? Default, string? Min, string? Max,
    string? MaxLength, string? Values)
{
    /// <summary>The longest text when <see cref="MaxLength"/> is not set (the portrait-video prompt's limit, issue 18 item 4).</summary>
    public const int DefaultMaxLength = 1000;

    /// <summary>The kind, lower case (empty when not set).</summary>
    public string KindName => Kind?.Trim().ToLowerInvariant() ?? "";

    /// <summary><see cref="Required"/> as a bool; false when not set.</summary>
    public bool IsRequired => bool.TryParse(Required, out var r) && r;

    /// <summary><see cref="Min"/> as a number (integers too).</summary>
    public decimal? MinValue => CatalogNumbers.Decimal(Min);

    /// <summary><see cref="Max"/> as a number (integers too).</summary>
    public decimal? MaxValue => CatalogNumbers.Decimal(Max);

    /// <summary>The longest text allowed.</summary>
    public int MaxLengthValue => int.TryParse(MaxLength, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : DefaultMaxLength;

    /// <summary><see cref="Values"/> split on commas and trimmed, empty entries dropped, in order.</summary>
    public IReadOnlyList<string> ValueList =>
        Values is null ? [] : [.. Values.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}

/// <summary><paramref name="Kind"/> <c>image|images|video|audio</c>; <paramref name="CountFrom"/> the integer input that sets an <c>images</c> count.</summary>
public sealed record CatalogOutputSettings(string? Kind, string? CountFrom)
{
    /// <summary>The kind, lower case (empty when not set).</summary>
    public string KindName => Kind?.Trim().ToLowerInvariant() ?? "";
}

/// <summary><paramref name="Credits"/> whole credits (prices are whole, as <c>Wati:Credits:Prices</c>); <paramref name="Per"/> <c>call|output</c>.</summary>
public sealed record CatalogPriceSettings(string? Credits, string? Per)
{
    /// <summary>The price in whole credits; null when missing or not a whole number.</summary>
    public long? CreditsValue => long.TryParse(Credits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) ? c : null;

    /// <summary>The unit, lower case; <c>call</c> when not set.</summary>
    public string PerName => string.IsNullOrWhiteSpace(Per) ? "call" : Per.Trim().ToLowerInvariant();
}

/// <summary>
/// <paramref name="Model"/> <c>owner/name</c> or <c>owner/name:version</c> (64 hex digits); <paramref name="Inputs"/>
/// Replicate's field names and their values, in key order: a value naming one of the model's inputs sends that input,
/// any other value is a literal (<see cref="CatalogReplicateInputs"/>).
/// </summary>
public sealed record CatalogReplicateSettings(string? Model, IReadOnlyList<KeyValuePair<string, string>> Inputs)
{
    /// <summary><c>owner/name</c>, without the version.</summary>
    public string ModelName => Model is null ? "" : Model.Split(':', 2)[0];

    /// <summary>The version after the colon, or null (then Replicate runs the model's latest version).</summary>
    public string? Version => Model?.Split(':', 2) is [_, var v] ? v : null;
}

/// <summary>How declared numbers are read: invariant culture, so <c>0.5</c> means a half on every machine.</summary>
internal static class CatalogNumbers
{
    public static decimal? Decimal(string? s) =>
        decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    public static long? Integer(string? s) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite,
            CultureInfo.InvariantCulture, out var n) ? n : null;
}
