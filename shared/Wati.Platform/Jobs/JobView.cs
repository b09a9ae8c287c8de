using System.Text.Json;
using System.Text.Json.Serialization;
using Wati.Platform.Storage;

namespace Wati.Platform.Jobs;

public sealed record OutputView(int Index, string Key, string Url, int ExpiresIn, int Width, int Height);

public sealed record JobErrorView(string Code, string Message);

/// <summary>
/// A job as answered: its state and, once succeeded, the output fields of the synchronous answer with
/// fresh URLs (<c>key/url/expires_in</c> for one output, <c>outputs</c> for several).
/// </summary>
public sealed record JobView
{
    public required string JobId { get; init; }
    public required string Model { get; init; }
    public required string State { get; init; }
    public required JsonElement Params { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required long CreditsCharged { get; init; }
    public required string StatusUrl { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Key { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Url { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ExpiresIn { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<OutputView>? Outputs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public JobErrorView? Error { get; init; }

    public static string StatusPath(string jobId) => $"/v1/jobs/{jobId}";

    public static async Task<JobView> CreateAsync(JobRecord job, IObjectStore objects, TimeSpan urlLifetime, string baseUrl,
        CancellationToken ct)
    {
        var outputs = new List<OutputView>();
        if (job.State == JobStates.Succeeded && !job.OutputsDeleted)
        {
            foreach (var o in job.Outputs)
            {
                var signed = await objects.GetSignedUrlAsync(o.Key, urlLifetime, ct);
                outputs.Add(new OutputView(o.Index, o.Key, signed.Url, signed.ExpiresIn, o.Width, o.Height));
            }
        }
        var single = job.Model != Models.ModelNames.IcLight && outputs.Count == 1 ? outputs[0] : null;
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
            Key = single?.Key,
            Url = single?.Url,
            ExpiresIn = single?.ExpiresIn,
            Outputs = single is null && job.State == JobStates.Succeeded ? outputs : null,
            Error = job.State == JobStates.Failed ? new JobErrorView("PROCESSING_ERROR", job.ErrorMessage ?? "the model failed") : null,
        };
    }
}
