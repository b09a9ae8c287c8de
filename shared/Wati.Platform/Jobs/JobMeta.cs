using System.Text.Json;
using System.Text.Json.Serialization;
using Wati.Envelope;
using Wati.Platform.Models;

namespace Wati.Platform.Jobs;

/// <summary>
/// The <c>meta</c> of every answer about a job (the waited answer, <c>GET /v1/jobs/{id}</c>, list
/// items): what we add to every job (<c>job_id</c>, <c>model</c>, <c>credits_charged</c>) and the
/// per-model fields of the response-format document's examples (seed 002, sections 1 and 2), with
/// its types: sizes and counts are JSON numbers. Built in <see cref="For"/> only.
/// </summary>
public record JobMeta
{
    /// <summary>The job's id (<c>job_…</c>).</summary>
    public required string JobId { get; init; }

    /// <summary>The platform's model name; for IC-Light the provider's model id, as the document shows.</summary>
    public required string Model { get; init; }

    /// <summary>Credits this job costs now (int64 as a string; 0 once refunded).</summary>
    public required long CreditsCharged { get; init; }

    /// <summary>True when an <c>Idempotency-Key</c> replayed an earlier job.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IdempotentReplay { get; init; }

    /// <summary>Pixel size of the (first) output; absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Width { get; init; }

    /// <inheritdoc cref="Width"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Height { get; init; }

    /// <summary>
    /// The meta of <paramref name="job"/> as answered to the request <paramref name="requestId"/>
    /// (gfpgan and replace-style repeat it as <c>requestId</c>, camelCase as the document writes it).
    /// </summary>
    public static JobMeta For(JobRecord job, string requestId, bool replayed = false)
    {
        var first = job.State == JobStates.Succeeded ? job.Outputs.FirstOrDefault() : null;
        var common = new JobMeta
        {
            JobId = job.Id,
            Model = job.Model,
            CreditsCharged = job.NetCharge,
            IdempotentReplay = replayed ? true : null,
            Width = first?.Width,
            Height = first?.Height,
        };
        var bytes = first is null ? (int?)null : (int)Math.Min(first.Bytes, int.MaxValue);
        return JobSpecs.FromJson(job.Model, job.Params) switch
        {
            GfpganParameters p => new GfpganMeta(common) { Scale = p.Scale, Version = p.Version, Bytes = bytes, RequestId = requestId },
            StyleParameters p => new StyleMeta(common) { Style = p.Style, Bytes = bytes, RequestId = requestId },
            IcLightParameters p => new IcLightMeta(common)
            {
                // The document's meta.model is what ran it (Replicate's owner/name:version, or local/iclight);
                // until it has run, the platform's model name.
                Model = job.ModelId ?? job.Model,
                Prompt = OutsideText.Bound(p.Prompt, OutsideText.PromptMaxChars), LightSource = p.LightSource, Steps = p.Steps, Cfg = p.Cfg,
                Width = p.Width, Height = p.Height, NumberOfImages = p.NumberOfImages,
                Strategy = job.Strategy, ReplicatePredictionId = job.PredictionId,
            },
            _ => common,
        };
    }

    /// <summary>The meta as the envelope's dictionary, serialised with its runtime type and the platform's JSON rules.</summary>
    public Dictionary<string, object?> ToDictionary()
    {
        var element = JsonSerializer.SerializeToElement(this, GetType(), WatiJson.Options);
        return element.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
    }
}

/// <summary>gfpgan: <c>scale</c>, <c>version</c>, <c>bytes</c> of the output, <c>requestId</c>.</summary>
public sealed record GfpganMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal GfpganMeta(JobMeta common) : base(common) { }

    /// <summary>Upscale factor, 1..4.</summary>
    public required int Scale { get; init; }

    /// <summary>GFPGAN version, <c>1.3</c> or <c>1.4</c>.</summary>
    public required string Version { get; init; } = "";

    /// <summary>Stored size of the output in bytes; absent until the job succeeded.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <summary>The request id of this answer (the document writes it camelCase).</summary>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";
}

/// <summary>replace-style: <c>style</c>, <c>bytes</c> of the output, <c>requestId</c>.</summary>
public sealed record StyleMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal StyleMeta(JobMeta common) : base(common) { }

    /// <summary>One of <see cref="Styles.All"/>.</summary>
    public required string Style { get; init; } = "";

    /// <inheritdoc cref="GfpganMeta.Bytes"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Bytes { get; init; }

    /// <inheritdoc cref="GfpganMeta.RequestId"/>
    [JsonPropertyName("requestId")]
    public required string RequestId { get; init; } = "";
}

/// <summary>
/// iclight: the run's parameters, what ran it (<c>model</c>), how inputs reached it (<c>strategy</c>)
/// and <c>replicate_prediction_id</c> only when Replicate ran it.
/// </summary>
public sealed record IcLightMeta : JobMeta
{
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    internal IcLightMeta(JobMeta common) : base(common) { }

    public required string Prompt { get; init; } = "";
    public required string LightSource { get; init; } = "";
    public required int Steps { get; init; }
    public required double Cfg { get; init; }
    public required int NumberOfImages { get; init; }

    /// <summary>How inputs reached the provider (e.g. <c>in-process</c>, <c>upload-to-replicate</c>); absent before the run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Strategy { get; init; }

    /// <summary>Replicate's prediction id; absent when another provider ran it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReplicatePredictionId { get; init; }
}
