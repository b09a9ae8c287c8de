using Microsoft.Extensions.Options;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// The Replicate models behind our four models unless configuration says otherwise (design section 10).
/// gfpgan and iclight are the models the design names; replace-style and replace-background have no
/// model in the design, so they default to Black Forest Labs' FLUX Kontext models (official on
/// Replicate, so no version pin is needed), driven by a prompt. Anything configured wins, per field; a model configured with another Replicate model inherits nothing.
/// </summary>
public sealed class ReplicateDefaults : IPostConfigureOptions<ReplicateOptions>
{
    /// <summary>The markers of <see cref="ReplicateOptions.InputErrorMarkers"/> when none are configured.</summary>
    public static readonly IReadOnlyList<string> InputErrorMarkers = ["invalid input", "validation error", "no face detected"];

    public static IReadOnlyDictionary<string, ReplicateModelOptions> Models => new Dictionary<string, ReplicateModelOptions>
    {
        [ModelNames.Gfpgan] = new()
        {
            Model = "tencentarc/gfpgan",
            Version = "0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c",
            Inputs = new() { ["image"] = "img", ["version"] = "version", ["scale"] = "scale" },
        },
        [ModelNames.IcLight] = new()
        {
            Model = "zsxkib/ic-light",
            Version = "d41bcb10d8c159868f4cfbd7c6a2ca01484f7d39e4613419d5952c61562f1ba7",
            Inputs = new()
            {
                ["subject_image"] = "subject_image", ["prompt"] = "prompt", ["light_source"] = "light_source",
                ["steps"] = "steps", ["cfg"] = "cfg", ["width"] = "width", ["height"] = "height",
                ["number_of_images"] = "number_of_images", ["output_format"] = "output_format",
            },
        },
        [ModelNames.ReplaceStyle] = new()
        {
            Model = "black-forest-labs/flux-kontext-pro",
            Inputs = new() { ["image"] = "input_image", ["prompt"] = "prompt" },
            Prompt = "Restyle this image in a {style} style; keep the subject, pose and composition",
        },
        [ModelNames.ReplaceBackground] = new()
        {
            Model = "flux-kontext-apps/multi-image-kontext-pro",
            Inputs = new() { ["fg"] = "input_image_1", ["bg"] = "input_image_2", ["prompt"] = "prompt" },
            Prompt = "Place the subject of the first image into the scene of the second image, matching its light",
        },
    };

    public void PostConfigure(string? name, ReplicateOptions options)
    {
        if (options.InputErrorMarkers.Count == 0) options.InputErrorMarkers.AddRange(InputErrorMarkers);
        foreach (var (model, defaults) in Models)
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
            configured.Prompt ??= defaults.Prompt;
        }
    }
}
