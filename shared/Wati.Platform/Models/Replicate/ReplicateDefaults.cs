using Microsoft.Extensions.Options;
using Wati.Platform.Models.Catalog;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// The Replicate models behind the catalogue's models unless configuration says otherwise (design section
/// 10): each definition's <see cref="ModelDefinition.ReplicateDefaults"/> (gfpgan and iclight are the models
/// the design names; replace-style and replace-background default to Black Forest Labs' FLUX Kontext models,
/// official on Replicate, so no version pin is needed, driven by a prompt). Anything configured under
/// <c>Wati:Models:Replicate:Models:{name}</c> wins, per field; a model configured with another Replicate
/// model inherits nothing.
/// </summary>
public sealed class ReplicateDefaults(ModelCatalog catalog) : IPostConfigureOptions<ReplicateOptions>
{
    /// <summary>The markers of <see cref="ReplicateOptions.InputErrorMarkers"/> when none are configured.</summary>
    public static readonly IReadOnlyList<string> InputErrorMarkers = ["invalid input", "validation error", "no face detected"];

    /// <summary>The code models' default Replicate mappings, by model name (fresh objects on each read).</summary>
    public static IReadOnlyDictionary<string, ReplicateModelOptions> Models => Of(ModelCatalog.CodeOnly);

    private static Dictionary<string, ReplicateModelOptions> Of(ModelCatalog models) =>
        models.All.Select(m => (m.Name, Defaults: m.ReplicateDefaults())).Where(m => m.Defaults is not null)
            .ToDictionary(m => m.Name, m => m.Defaults!, StringComparer.Ordinal);

    /// <inheritdoc />
    public void PostConfigure(string? name, ReplicateOptions options)
    {
        if (options.InputErrorMarkers.Count == 0) options.InputErrorMarkers.AddRange(InputErrorMarkers);
        foreach (var (model, defaults) in Of(catalog))
        {
            if (!options.Models.TryGetValue(model, out var configured))
            {
                options.Models[model] = defaults;
                continue;
            }
            // Another Replicate model has its own versions and input names: inherit only for the default model.
            var sameModel = string.IsNullOrEmpty(configured.Model) ||
                            string.Equals(configured.Model, defaults.Model, StringComparison.OrdinalIgnoreCase);
            configured.Model = string.IsNullOrEmpty(configured.Model) ? defaults.Model : configured.Model;
            if (!sameModel) continue;
            if (string.IsNullOrEmpty(configured.Version)) configured.Version = defaults.Version;
            foreach (var (ours, theirs) in defaults.Inputs) configured.Inputs.TryAdd(ours, theirs);
            foreach (var (theirs, literal) in defaults.Literals) configured.Literals.TryAdd(theirs, literal);
            configured.Prompt ??= defaults.Prompt;
        }
    }
}
