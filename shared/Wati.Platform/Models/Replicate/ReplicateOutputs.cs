using System.Text.Json;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// A succeeded prediction's <c>output</c> (one URL string, or an array of them, any count) downloaded
/// into <see cref="ModelOutput"/>s, in order; format and size are read from each file's header, and each
/// must be the kind of media the model makes (issue 18, item 4): an image model's outputs JPEG, PNG or WebP
/// images (<see cref="ImageProbe"/>, as always), a video or audio model's what <see cref="MediaProbe"/>
/// recognises as that kind.
/// </summary>
internal static class ReplicateOutputs
{
    /// <summary>Downloads the outputs of an image model (<c>image</c> or <c>images</c>).</summary>
    /// <exception cref="ModelException">No output, an output that cannot be fetched (404: failure;
    /// 429/5xx/no answer: transient), or one that is not a JPEG, PNG or WebP image.</exception>
    public static Task<IReadOnlyList<ModelOutput>> DownloadAsync(ReplicatePrediction prediction, ReplicateClient client,
        CancellationToken ct) => DownloadAsync(prediction, client, MediaKind.Image, ct);

    /// <summary>Downloads the outputs of a model whose outputs are <paramref name="expected"/> media.</summary>
    /// <exception cref="ModelException">No output, an output that cannot be fetched (404: failure;
    /// 429/5xx/no answer: transient), or one that is not <paramref name="expected"/> media (a failure, never retried).</exception>
    public static async Task<IReadOnlyList<ModelOutput>> DownloadAsync(ReplicatePrediction prediction, ReplicateClient client,
        MediaKind expected, CancellationToken ct)
    {
        var urls = UrlsOf(prediction);
        if (urls.Count == 0) throw new ModelException($"Replicate prediction {prediction.Id} succeeded without an output");

        var outputs = new List<ModelOutput>(urls.Count);
        for (var i = 0; i < urls.Count; i++)
        {
            byte[] bytes;
            try
            {
                bytes = await FetchAsync(urls[i], client, ct);
            }
            catch (ReplicateException e)
            {
                throw new ModelException($"output {i + 1} of {urls.Count} of Replicate prediction {prediction.Id} could not be downloaded: {e.Message}",
                    isTransient: e.IsTransient, retryAfter: e.RetryAfter, inner: e);
            }
            outputs.Add(Recognise(bytes, expected, $"output {i + 1} of Replicate prediction {prediction.Id}"));
        }
        return outputs;
    }

    /// <summary>An output as the media it must be; an image model keeps to <see cref="ImageProbe"/>, so nothing it refused before passes now.</summary>
    private static ModelOutput Recognise(byte[] bytes, MediaKind expected, string what)
    {
        if (expected == MediaKind.Image)
        {
            var image = ImageProbe.TryProbe(bytes) ?? throw new ModelException($"{what} is not a JPEG, PNG or WebP image");
            return new ModelOutput(bytes, image.ContentType, image.Extension, image.Width, image.Height);
        }
        var media = MediaProbe.TryProbe(bytes);
        if (media is null || media.Kind != expected)
            throw new ModelException($"{what} is not {Describe(expected)}{(media is null ? "" : $" (it is {media.ContentType})")}");
        return new ModelOutput(bytes, media.ContentType, media.Extension, media.Width, media.Height);
    }

    private static string Describe(MediaKind kind) => kind switch
    {
        MediaKind.Video => "a video (MP4, QuickTime, WebM, Matroska, Ogg Theora, animated WebP or GIF)",
        MediaKind.Audio => "audio (WAV, MP3, Ogg, FLAC or M4A)",
        _ => "a JPEG, PNG or WebP image",
    };

    private static List<string> UrlsOf(ReplicatePrediction prediction) => prediction.Output switch
    {
        { ValueKind: JsonValueKind.String } one => [one.GetString()!],
        { ValueKind: JsonValueKind.Array } many => many.EnumerateArray()
            .Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList(),
        _ => [],
    };

    /// <summary>Replicate may answer files inline as data URIs; anything else must be an absolute http(s) URL.</summary>
    private static async Task<byte[]> FetchAsync(string url, ReplicateClient client, CancellationToken ct)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            if (comma < 0 || !url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                throw new ModelException("an output data URI is not base64");
            try
            {
                return Convert.FromBase64String(url[(comma + 1)..]);
            }
            catch (FormatException e)
            {
                throw new ModelException("an output data URI is not valid base64", inner: e);
            }
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ModelException("an output is not an http(s) URL");
        return await client.DownloadAsync(uri, ct);
    }
}
