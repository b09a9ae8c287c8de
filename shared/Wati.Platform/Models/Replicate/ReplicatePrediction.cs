using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// Replicate's prediction object, the fields we use. <see cref="Output"/> is whatever the model returns
/// (for image models a URL string or an array of them) and is null until the prediction succeeds;
/// <see cref="Error"/> is set when it failed.
/// </summary>
public sealed record ReplicatePrediction(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("output")] JsonElement? Output,
    [property: JsonPropertyName("error")] JsonElement? Error,
    [property: JsonPropertyName("urls")] ReplicateUrls? Urls)
{
    /// <summary>succeeded, failed, canceled and aborted end a prediction; starting and processing do not.</summary>
    public bool IsTerminal => Status is ReplicateStatus.Succeeded or ReplicateStatus.Failed or ReplicateStatus.Canceled
        or ReplicateStatus.Aborted;

    /// <summary>
    /// The error as text (Replicate sends a string; anything else is shown as JSON), cut to
    /// <see cref="Models.OutsideText.ErrorMaxChars"/>: a model may send tens of kilobytes.
    /// </summary>
    public string? ErrorText => Error is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } e
        ? Models.OutsideText.BoundOrNull(e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())
        : null;
}

/// <summary><c>urls.get</c> polls the prediction; <c>urls.cancel</c> cancels it.</summary>
public sealed record ReplicateUrls(
    [property: JsonPropertyName("get")] string? Get,
    [property: JsonPropertyName("cancel")] string? Cancel);

/// <summary>A file created through <c>POST /v1/files</c>; <c>urls.get</c> is what a prediction input names.</summary>
public sealed record ReplicateFile(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("urls")] ReplicateUrls? Urls);

/// <summary>The statuses of https://replicate.com/docs/topics/predictions/lifecycle.</summary>
public static class ReplicateStatus
{
    public const string Starting = "starting";
    public const string Processing = "processing";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Aborted = "aborted";
}

/// <summary>
/// A Replicate API call that did not succeed: the HTTP <see cref="Status"/> (0 when no answer came),
/// Replicate's <c>detail</c> (never the token), and <see cref="RetryAfter"/> from a 429's header or body hint.
/// </summary>
public sealed class ReplicateException(int status, string message, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(Models.OutsideText.Bound(message), inner)
{
    /// <summary>The HTTP status; 0 when no answer came.</summary>
    public int Status { get; } = status;

    /// <summary>When to try again (the <c>Retry-After</c> header, else the wait a 429's body names).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The problem's <c>title</c> (e.g. "Invalid version or not permitted"), when Replicate gave one.</summary>
    public string? Title { get; init; }

    /// <summary>Replicate throttled the call (429).</summary>
    public bool IsThrottled => Status == 429;

    /// <summary>No answer (0), throttled (429) or a server-side failure (5xx): the same call may succeed later.</summary>
    public bool IsTransient => Status is 0 or 429 or >= 500;
}
