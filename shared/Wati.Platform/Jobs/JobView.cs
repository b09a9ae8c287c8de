using System.Text.Json;
using System.Text.Json.Serialization;
using Wati.Envelope;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

/// <summary>
/// One stored output as answered: <c>url</c> and <c>index</c> (the response-format document's multiple
/// output), its object <c>key</c>, URL lifetime in seconds and pixel size.
/// </summary>
public sealed record OutputView(int Index, string Key, string Url, int ExpiresIn, int Width, int Height)
{
    /// <summary>The presigned URL when the store's public <see cref="Url"/> differs from it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PresignedUrl { get; init; }
}

/// <summary>Why a job failed: always <c>PROCESSING_ERROR</c>, with the model's message.</summary>
public sealed record JobErrorView(string Code, string Message);

/// <summary>The data of a waited single-output answer (seed 002 section 1): <c>key</c>, <c>url</c>, <c>presigned_url</c> when it differs, <c>expires_in</c> seconds.</summary>
public sealed record SingleOutputData(string JobId, string Key, string Url, int ExpiresIn)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PresignedUrl { get; init; }
}

/// <summary>The data of a waited several-output answer (seed 002 section 2): <c>outputs[{url,index,…}]</c>.</summary>
public sealed record MultipleOutputData(string JobId, IReadOnlyList<OutputView> Outputs, int ExpiresIn);

/// <summary>The data of a <c>Prefer: respond-async</c> answer (202): poll <paramref name="StatusUrl"/>.</summary>
public sealed record JobAccepted(string JobId, string State, string StatusUrl);

/// <summary>
/// A job as answered: its state and, once succeeded, the output fields of the synchronous answer with
/// fresh URLs (<c>key/url/expires_in</c> for one output, <c>outputs</c> for several), and the same
/// <see cref="Meta"/> as the answer's <c>meta</c>, so a poll answers what a wait answers.
/// </summary>
public sealed record JobView
{
    public required string JobId { get; init; }
    public required string Model { get; init; }

    /// <summary>queued, running, succeeded, failed or canceled.</summary>
    public required string State { get; init; }

    /// <summary>The validated parameters of the call.</summary>
    public required JsonElement Params { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Credits this job costs now (int64 as a string).</summary>
    public required long CreditsCharged { get; init; }
    public required string StatusUrl { get; init; }

    /// <summary>Milliseconds the model itself took (the rest of finished_at - created_at is the platform's); null until it succeeded.</summary>
    public int? ModelMs { get; init; }

    /// <summary>A cancel was asked for while the job ran; it ends <c>canceled</c> (refunded) within seconds unless it finished first.</summary>
    public bool CancelRequested { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Key { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Url { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? PresignedUrl { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ExpiresIn { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<OutputView>? Outputs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JobErrorView? Error { get; init; }

    /// <summary>The job's meta (<see cref="JobMeta.For"/>), serialised with its per-model fields.</summary>
    public required IReadOnlyDictionary<string, object?> Meta { get; init; }

    public static string StatusPath(string jobId) => $"/v1/jobs/{jobId}";

    /// <summary>The view of <paramref name="job"/> for the request <paramref name="requestId"/>, signing its outputs afresh.</summary>
    public static Task<JobView> CreateAsync(JobRecord job, IObjectStore objects, TimeSpan urlLifetime, string baseUrl,
        string requestId, CancellationToken ct) =>
        CreateAsync(job, ModelCatalog.CodeOnly, objects, urlLifetime, baseUrl, requestId, ct);

    /// <summary>
    /// The view of <paramref name="job"/> for the request <paramref name="requestId"/>, signing its outputs
    /// afresh; one output answers key/url unless its model's output kind is <see cref="OutputKind.Images"/>.
    /// </summary>
    public static async Task<JobView> CreateAsync(JobRecord job, ModelCatalog catalog, IObjectStore objects, TimeSpan urlLifetime,
        string baseUrl, string requestId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(catalog);
        var outputs = new List<OutputView>();
        if (job.State == JobStates.Succeeded && !job.OutputsDeleted)
        {
            foreach (var o in job.Outputs)
            {
                var signed = await objects.GetSignedUrlAsync(o.Key, urlLifetime, ct);
                var presigned = signed.PresignedUrl is { } p && p != signed.Url ? p : null;
                outputs.Add(new OutputView(o.Index, o.Key, signed.Url, signed.ExpiresIn, o.Width, o.Height) { PresignedUrl = presigned });
            }
        }
        var single = catalog.Find(job.Model)?.OutputKind != OutputKind.Images && outputs.Count == 1 ? outputs[0] : null;
        return new JobView
        {
            JobId = job.Id,
            Model = job.Model,
            State = job.State,
            Params = job.Params,
            CreatedAt = job.CreatedAt,
            StartedAt = job.StartedAt,
            FinishedAt = job.FinishedAt,
            CreditsCharged = job.NetCharge,
            StatusUrl = baseUrl + StatusPath(job.Id),
            CancelRequested = job.CancelRequested,
            ModelMs = job.ModelMs,
            Key = single?.Key,
            Url = single?.Url,
            PresignedUrl = single?.PresignedUrl,
            ExpiresIn = single?.ExpiresIn,
            Outputs = single is null && job.State == JobStates.Succeeded ? outputs : null,
            Error = job.State == JobStates.Failed ? new JobErrorView(job.FailureCode.Wire(), job.ErrorMessage ?? "the model failed") : null,
            Meta = JobMeta.For(job, catalog, requestId).ToDictionary(),
        };
    }

    /// <summary>The synchronous answer's data: one output's key/url, or every output with its index.</summary>
    public object ToOutputData() => Outputs is { } outputs
        ? new MultipleOutputData(JobId, outputs, outputs.Count > 0 ? outputs[0].ExpiresIn : 0)
        : new SingleOutputData(JobId, Key ?? "", Url ?? "", ExpiresIn ?? 0) { PresignedUrl = PresignedUrl };
}
