using System.Text.Json.Nodes;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Builds a prediction's <c>input</c> from one of our requests: our values by our names, renamed through
/// <see cref="ReplicateModelOptions.Inputs"/>. Images up to <see cref="ReplicateOptions.DataUriMaxBytes"/>
/// go inline as data URIs, larger ones through the files API.
/// </summary>
internal static class ReplicateInputs
{
    public const string DataUri = "data-uri";
    public const string Uploaded = "upload-to-replicate";

    /// <summary>The input object and how the images travelled (<see cref="DataUri"/> or, if any was uploaded, <see cref="Uploaded"/>).</summary>
    public static async Task<(JsonObject Input, string Strategy)> BuildAsync(ModelRequest request, ReplicateModelOptions model,
        ReplicateOptions options, ReplicateClient client, CancellationToken ct)
    {
        var ours = OurValues(request, model);
        var input = new JsonObject();
        var uploaded = false;
        foreach (var (field, bytes) in request.Images)
        {
            if (Rename(model, field) is not { } name) continue;
            var contentType = ImageProbe.TryProbe(bytes)?.ContentType ?? "application/octet-stream";
            if (bytes.Length <= options.DataUriMaxBytes)
                input[name] = $"data:{contentType};base64,{Convert.ToBase64String(bytes)}";
            else
            {
                var extension = ImageProbe.TryProbe(bytes)?.Extension ?? "bin";
                input[name] = (await client.UploadFileAsync(bytes, contentType, $"{field}.{extension}", ct)).AbsoluteUri;
                uploaded = true;
            }
        }
        foreach (var (field, value) in ours)
            if (Rename(model, field) is { } name) input[name] = value;
        return (input, uploaded ? Uploaded : DataUri);
    }

    private static string? Rename(ReplicateModelOptions model, string ours) =>
        model.Inputs.TryGetValue(ours, out var theirs) && !string.IsNullOrWhiteSpace(theirs) ? theirs : null;

    /// <summary>Our parameters by our names, typed as the Replicate models expect (gfpgan's version is "v1.4").</summary>
    private static Dictionary<string, JsonNode?> OurValues(ModelRequest request, ReplicateModelOptions model) => request.Parameters switch
    {
        GfpganParameters p => new()
        {
            ["version"] = p.Version.StartsWith('v') ? p.Version : "v" + p.Version,
            ["scale"] = p.Scale,
        },
        StyleParameters p => new()
        {
            ["style"] = p.Style,
            ["prompt"] = (model.Prompt ?? "{style}").Replace("{style}", p.Style, StringComparison.Ordinal),
        },
        BackgroundParameters => model.Prompt is { } prompt ? new() { ["prompt"] = prompt } : [],
        IcLightParameters p => new()
        {
            ["prompt"] = p.Prompt,
            ["light_source"] = p.LightSource,
            ["steps"] = p.Steps,
            ["cfg"] = p.Cfg,
            ["width"] = p.Width,
            ["height"] = p.Height,
            ["number_of_images"] = p.NumberOfImages,
            ["output_format"] = p.OutputFormat,
        },
        _ => throw new ModelException($"the replicate provider cannot run parameters of type {request.Parameters.GetType().Name}"),
    };
}
