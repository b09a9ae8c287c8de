using System.Text.Json;
using System.Text.Json.Serialization;
using Wati.Envelope;
using Wati.Platform.Models.Catalog;

namespace Wati.Platform.Jobs;

/// <summary>
/// The <c>meta</c> of every answer about a job (the waited answer, <c>GET /v1/jobs/{id}</c>, list
/// items): what we add to every job (<c>job_id</c>, <c>model</c>, <c>credits_charged</c>) and the
/// per-model fields of the response-format document's examples (seed 002, sections 1 and 2), with
/// its types: sizes and counts are JSON numbers. Built in <see cref="For(JobRecord, ModelCatalog, string, bool)"/> only;
/// each model's own meta record lives in its file (<c>Models/Catalog</c>).
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
    /// The meta of <paramref name="job"/> as answered to the request <paramref name="requestId"/>, with the
    /// code models' own fields (<see cref="ModelCatalog.CodeOnly"/>).
    /// </summary>
    public static JobMeta For(JobRecord job, string requestId, bool replayed = false) => For(job, ModelCatalog.CodeOnly, requestId, replayed);

    /// <summary>
    /// The meta of <paramref name="job"/> as answered to the request <paramref name="requestId"/>: the
    /// common fields, then its model's own (<see cref="ModelDefinition.Meta"/>; gfpgan and replace-style
    /// repeat the request id as <c>requestId</c>, camelCase as the document writes it).
    /// </summary>
    public static JobMeta For(JobRecord job, ModelCatalog catalog, string requestId, bool replayed = false)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(catalog);
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
        return catalog.Find(job.Model) is { } model ? model.Meta(common, job, model.FromJson(job.Params), bytes, requestId) : common;
    }

    /// <summary>The meta as the envelope's dictionary, serialised with its runtime type and the platform's JSON rules.</summary>
    public Dictionary<string, object?> ToDictionary()
    {
        var element = JsonSerializer.SerializeToElement(this, GetType(), WatiJson.Options);
        return element.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
    }
}
