using System.Text.Json;
using Wati.Envelope;
using Wati.Platform.Models;
using Wati.Platform.Uploads;

namespace Wati.Platform.Jobs;

/// <summary>A validated submission: model, typed parameters and accepted images.</summary>
public sealed record JobSpec(string Model, ModelParameters Parameters, IReadOnlyDictionary<string, Upload> Images)
{
    public int OutputCount => Parameters is IcLightParameters p ? p.NumberOfImages : 1;
}

/// <summary>Per-model form rules (design sections 8 and 10) and what follows from a model's parameters.</summary>
public static class JobSpecs
{
    public static readonly IReadOnlyList<string> GfpganVersions = ["1.3", "1.4"];
    public static readonly IReadOnlyList<string> OutputFormats = ["webp", "jpg", "png"];

    public static async Task<JobSpec> ReadAsync(string model, UploadForm form, CancellationToken ct)
    {
        switch (model)
        {
            case ModelNames.Gfpgan:
            {
                var parameters = new GfpganParameters(form.Int("scale", 2, 1, 4),
                    form.OneOf("version", "1.4", GfpganVersions.Concat(["v1.3", "v1.4"]).ToList()).TrimStart('v'));
                return new(model, parameters, await form.ImagesAsync(ct, "image"));
            }
            case ModelNames.ReplaceStyle:
            {
                var parameters = new StyleParameters(form.OneOf("style", null, Styles.All));
                return new(model, parameters, await form.ImagesAsync(ct, "image"));
            }
            case ModelNames.ReplaceBackground:
                return new(model, new BackgroundParameters(), await form.ImagesAsync(ct, "fg", "bg"));
            case ModelNames.IcLight:
            {
                var prompt = form.String("prompt", 500) ?? throw ApiException.Validation("prompt is required", new { field = "prompt" });
                var format = form.String("output_format", 8)?.ToLowerInvariant() is "jpeg" ? "jpg" : null;
                var parameters = new IcLightParameters(prompt,
                    form.OneOf("light_source", "None", LightSources.All),
                    form.Int("steps", 25, 1, 100),
                    form.Double("cfg", 2, 1, 32),
                    Dimension(form, "width", 512),
                    Dimension(form, "height", 640),
                    form.Int("number_of_images", 1, 1, 12),
                    format ?? form.OneOf("output_format", "webp", OutputFormats));
                return new(model, parameters, await form.ImagesAsync(ct, "subject_image"));
            }
            default:
                throw ApiException.NotFound("model");
        }
    }

    /// <summary>
    /// Size of one output image in pixels (as viewers show it): gfpgan the input times scale, iclight
    /// width by height, style the input's size, background <c>bg</c>'s size.
    /// </summary>
    public static (long Width, long Height) OutputSize(JobSpec spec) => spec.Parameters switch
    {
        GfpganParameters p => ((long)spec.Images["image"].Info.Width * p.Scale, (long)spec.Images["image"].Info.Height * p.Scale),
        IcLightParameters p => (p.Width, p.Height),
        BackgroundParameters => (spec.Images["bg"].Info.Width, spec.Images["bg"].Info.Height),
        _ => spec.Images.Values.Select(i => ((long)i.Info.Width, (long)i.Info.Height)).DefaultIfEmpty((0L, 0L)).MaxBy(s => s.Item1 * s.Item2),
    };

    /// <summary>
    /// Refuses a call whose output would be over <see cref="ModelsOptions.MaxOutputPixels"/> or
    /// <see cref="ModelsOptions.MaxOutputSide"/>, before anything is stored or charged.
    /// </summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming the limit and the size.</exception>
    public static void CheckOutputLimits(JobSpec spec, ModelsOptions limits)
    {
        var (width, height) = OutputSize(spec);
        if (width * height > limits.MaxOutputPixels)
            throw ApiException.Validation(
                $"the output would be {width * height} pixels; at most {limits.MaxOutputPixels} pixels per image are allowed",
                new { output_pixels = width * height, max_output_pixels = limits.MaxOutputPixels });
        if (Math.Max(width, height) > limits.MaxOutputSide)
            throw ApiException.Validation($"the output would be {width}x{height}; at most {limits.MaxOutputSide} pixels per side are allowed",
                new { output_width = width, output_height = height, max_output_side = limits.MaxOutputSide });
    }

    public static long PriceOf(JobSpec spec, Credits.CreditsOptions prices) => prices.PriceOf(spec.Model) * spec.OutputCount;

    /// <summary>Where output <paramref name="index"/> is stored (the response-format document's key layout).</summary>
    public static string OutputKey(string model, JsonElement parameters, string jobId, int index, string extension) => model switch
    {
        ModelNames.Gfpgan => $"gfpgan/s{parameters.GetProperty("scale").GetInt32()}-v{parameters.GetProperty("version").GetString()}/{jobId}.{extension}",
        ModelNames.ReplaceStyle => $"styles/{parameters.GetProperty("style").GetString()}/{jobId}.{extension}",
        ModelNames.ReplaceBackground => $"replace-bg/{jobId}.{extension}",
        _ => $"portraits/iclight/{jobId}-{index}.{extension}",
    };

    public static JsonElement ToJson(ModelParameters parameters) =>
        JsonSerializer.SerializeToElement(parameters, parameters.GetType(), WatiJson.Options);

    public static ModelParameters FromJson(string model, JsonElement json) => model switch
    {
        ModelNames.Gfpgan => json.Deserialize<GfpganParameters>(WatiJson.Options)!,
        ModelNames.ReplaceStyle => json.Deserialize<StyleParameters>(WatiJson.Options)!,
        ModelNames.ReplaceBackground => new BackgroundParameters(),
        ModelNames.IcLight => json.Deserialize<IcLightParameters>(WatiJson.Options)!,
        _ => throw new InvalidOperationException($"unknown model '{model}'"),
    };

    public static string QueueOf(string model) => "jobs-" + model;

    private static int Dimension(UploadForm form, string name, int fallback)
    {
        var value = form.Int(name, fallback, 256, 1024);
        return value % 64 == 0
            ? value
            : throw ApiException.Validation($"{name} must be a multiple of 64 from 256 to 1024", new { field = name, value });
    }
}
