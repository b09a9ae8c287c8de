using System.Text.Json.Nodes;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Builds a prediction's <c>input</c> from one of our requests: our values by our names (the model
/// definition's <see cref="ModelDefinition.ReplicateValues"/>), renamed through
/// <see cref="ReplicateModelOptions.Inputs"/>, plus the fixed <see cref="ReplicateModelOptions.Literals"/>. Images up to <see cref="ReplicateOptions.DataUriMaxBytes"/>
/// go inline as data URIs, larger ones through the files API.
/// </summary>
internal static class ReplicateInputs
{
    public const string DataUri = "data-uri";
    public const string Uploaded = "upload-to-replicate";

    /// <summary>The input object and how the images travelled (<see cref="DataUri"/> or, if any was uploaded, <see cref="Uploaded"/>).</summary>
    public static async Task<(JsonObject Input, string Strategy)> BuildAsync(ModelRequest request, ModelDefinition definition,
        ReplicateModelOptions model, ReplicateOptions options, ReplicateClient client, CancellationToken ct)
    {
        var ours = definition.ReplicateValues(request.Parameters, model);
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
        foreach (var (theirs, literal) in model.Literals) input[theirs] = CatalogReplicateInputs.Literal(literal);
        return (input, uploaded ? Uploaded : DataUri);
    }

    private static string? Rename(ReplicateModelOptions model, string ours) =>
        model.Inputs.TryGetValue(ours, out var theirs) && !string.IsNullOrWhiteSpace(theirs) ? theirs : null;
}
