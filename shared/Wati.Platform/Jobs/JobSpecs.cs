using System.Text.Json;
using Wati.Envelope;
using Wati.Platform.Models;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Uploads;

namespace Wati.Platform.Jobs;

/// <summary>A validated submission: its model, typed parameters and accepted images.</summary>
public sealed record JobSpec(ModelDefinition Definition, ModelParameters Parameters, IReadOnlyDictionary<string, Upload> Images)
{
    /// <summary>The model's name.</summary>
    public string Model => Definition.Name;

    /// <summary>How many outputs the call makes.</summary>
    public int OutputCount => Definition.OutputCount(Parameters);

    /// <summary>The parameters as stored in the job's <c>params</c>.</summary>
    public JsonElement ParamsJson => Definition.ToJson(Parameters);
}

/// <summary>
/// What every model's submission shares (design sections 8 and 10): reading the form by the model's
/// declared schema, the output limits and the price. What differs per model is in its definition
/// (<see cref="ModelDefinition"/>, <c>Models/Catalog</c>).
/// </summary>
public static class JobSpecs
{
    /// <summary>The request's form read by <paramref name="model"/>'s declared inputs.</summary>
    /// <exception cref="ApiException">400 naming the field, MISSING_FILES, 413 or 415.</exception>
    public static async Task<JobSpec> ReadAsync(ModelDefinition model, UploadForm form, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (values, images) = await model.Schema.ReadAsync(form, ct);
        return new JobSpec(model, model.Bind(values), images);
    }

    /// <summary>
    /// Refuses a call whose output would be over <see cref="ModelsOptions.MaxOutputPixels"/> or
    /// <see cref="ModelsOptions.MaxOutputSide"/>, before anything is stored or charged.
    /// </summary>
    /// <exception cref="ApiException">400 VALIDATION_ERROR naming the limit and the size.</exception>
    public static void CheckOutputLimits(JobSpec spec, ModelsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        var (width, height) = spec.Definition.OutputSize(spec.Parameters, spec.Images);
        if (width * height > limits.MaxOutputPixels)
            throw ApiException.Validation(
                $"the output would be {width * height} pixels; at most {limits.MaxOutputPixels} pixels per image are allowed",
                new { output_pixels = width * height, max_output_pixels = limits.MaxOutputPixels });
        if (Math.Max(width, height) > limits.MaxOutputSide)
            throw ApiException.Validation($"the output would be {width}x{height}; at most {limits.MaxOutputSide} pixels per side are allowed",
                new { output_width = width, output_height = height, max_output_side = limits.MaxOutputSide });
    }

    /// <summary>The call's price: the configured credits of its model times its units (calls, outputs or seconds).</summary>
    public static long PriceOf(JobSpec spec, Credits.CreditsOptions prices)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(prices);
        return prices.PriceOf(spec.Model) * spec.Definition.Units(spec.Parameters);
    }

    /// <summary>Where output <paramref name="index"/> of a code model's job is stored (<see cref="ModelDefinition.OutputKey"/>).</summary>
    public static string OutputKey(string model, JsonElement parameters, string jobId, int index, string extension) =>
        ModelCatalog.CodeOnly.Of(model).OutputKey(parameters, jobId, index, extension);

    /// <summary>The queue of <paramref name="model"/>: a code model's own, else the shared <see cref="ModelCatalog.SharedQueue"/>.</summary>
    public static string QueueOf(string model) => ModelCatalog.CodeOnly.QueueOf(model);
}
