using System.Text.Json;
using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Jobs;

public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    public static readonly IReadOnlyList<string> All = [Queued, Running, Succeeded, Failed, Canceled];

    public static bool IsFinished(string state) => state is Succeeded or Failed or Canceled;
}

/// <summary>One stored output: its object key, content type, pixel size and <paramref name="Bytes"/> (stored size in bytes).</summary>
public sealed record StoredOutput(int Index, string Key, string ContentType, int Width, int Height, long Bytes = 0);

/// <summary>
/// A job as stored in its owner's partition (<c>users</c>, row <c>job|{id}</c>): the source of truth for
/// its state. Messages only carry the id.
/// </summary>
public sealed record JobRecord
{
    public const string RowPrefix = "job|";

    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Model { get; init; }
    public required string State { get; init; }
    public required JsonElement Params { get; init; }
    public required IReadOnlyDictionary<string, string> Inputs { get; init; }
    public IReadOnlyList<StoredOutput> Outputs { get; init; } = [];
    public required long Price { get; init; }
    public bool Refunded { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public int ErrorStatus { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }
    public string? Claim { get; init; }
    /// <summary>Model runs started (claims); compared with <see cref="JobsOptions.MaxAttempts"/>.</summary>
    public int Attempts { get; init; }

    /// <summary>Runs put back because the provider throttled them; not counted in <see cref="Attempts"/>.</summary>
    public int Throttles { get; init; }

    /// <summary>What ran the model (<see cref="Models.ModelResult.ModelId"/>), once it ran.</summary>
    public string? ModelId { get; init; }

    /// <summary>The provider's id for the run (Replicate's prediction id), when it has one.</summary>
    public string? PredictionId { get; init; }

    /// <summary>How inputs reached the provider (<see cref="Models.ModelResult.Strategy"/>).</summary>
    public string? Strategy { get; init; }

    /// <summary>Milliseconds the successful run spent inside the model provider (retries included); null until then.</summary>
    public int? ModelMs { get; init; }
    public bool OutputsDeleted { get; init; }

    /// <summary>The owner asked to cancel the job while it ran; its worker stops, refunds and marks it canceled.</summary>
    public bool CancelRequested { get; init; }
    public string? ETag { get; init; }

    public static string RowKey(string jobId) => RowPrefix + jobId;

    public long NetCharge => Refunded ? 0 : Price;

    /// <summary>Running under a lease that has not run out at <paramref name="now"/>: some worker holds it.</summary>
    public bool IsHeldAt(DateTimeOffset now) => State == JobStates.Running && LeaseUntil > now;

    public TableEntity ToEntity()
    {
        var e = new TableEntity(UserId, RowKey(Id)) { ETag = ETag }
            .With("model", Model).With("state", State)
            .With("params", Params.GetRawText())
            .With("inputs", JsonSerializer.Serialize(Inputs))
            .With("outputs", JsonSerializer.Serialize(Outputs))
            .With("price", Price).With("refunded", Refunded)
            .With("error_code", ErrorCode).With("error_message", ErrorMessage).With("error_status", (long)ErrorStatus)
            .With("created_at", CreatedAt).With("started_at", StartedAt).With("finished_at", FinishedAt)
            .With("lease_until", LeaseUntil).With("claim", Claim).With("attempts", (long)Attempts).With("throttles", (long)Throttles)
            .With("outputs_deleted", OutputsDeleted).With("cancel_requested", CancelRequested)
            .With("model_id", ModelId).With("prediction_id", PredictionId).With("strategy", Strategy)
            .With("model_ms", ModelMs is { } ms ? (long)ms : null);
        return e;
    }

    public static JobRecord FromEntity(TableEntity e) => new()
    {
        Id = e.RowKey[RowPrefix.Length..],
        UserId = e.PartitionKey,
        Model = e.GetString("model") ?? "",
        State = e.GetString("state") ?? JobStates.Queued,
        Params = JsonDocument.Parse(e.GetString("params") ?? "{}").RootElement.Clone(),
        Inputs = JsonSerializer.Deserialize<Dictionary<string, string>>(e.GetString("inputs") ?? "{}") ?? [],
        Outputs = JsonSerializer.Deserialize<List<StoredOutput>>(e.GetString("outputs") ?? "[]") ?? [],
        Price = e.GetInt64("price") ?? 0,
        Refunded = e.GetBool("refunded") ?? false,
        ErrorCode = e.GetString("error_code"),
        ErrorMessage = e.GetString("error_message"),
        ErrorStatus = (int)(e.GetInt64("error_status") ?? 0),
        CreatedAt = e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch,
        StartedAt = e.GetTime("started_at"),
        FinishedAt = e.GetTime("finished_at"),
        LeaseUntil = e.GetTime("lease_until"),
        Claim = e.GetString("claim"),
        Attempts = (int)(e.GetInt64("attempts") ?? 0),
        Throttles = (int)(e.GetInt64("throttles") ?? 0),
        OutputsDeleted = e.GetBool("outputs_deleted") ?? false,
        CancelRequested = e.GetBool("cancel_requested") ?? false,
        ModelId = e.GetString("model_id"),
        PredictionId = e.GetString("prediction_id"),
        Strategy = e.GetString("strategy"),
        ModelMs = e.GetInt64("model_ms") is { } ms ? (int)ms : null,
        ETag = e.ETag,
    };

    /// <summary>The stored error code as the envelope's (<c>PROCESSING_ERROR</c> unless the job stored another).</summary>
    public Envelope.ErrorCode FailureCode => ErrorCode switch
    {
        "VALIDATION_ERROR" => Envelope.ErrorCode.ValidationError,
        "INTERNAL_ERROR" => Envelope.ErrorCode.InternalError,
        _ => Envelope.ErrorCode.ProcessingError,
    };

    public ApiException? Failure => State == JobStates.Failed
        ? new ApiException(FailureCode, ErrorMessage ?? "the model failed",
            new { job_id = Id, refunded = Refunded, credits_charged = NetCharge }, ErrorStatus is 400 ? 400 : 500)
        : null;
}
