using System.Text.Json.Serialization;

namespace Wati.Envelope;

/// <summary>
/// The one response shape (design section 5). Success answers carry <c>data</c> and <c>meta</c>
/// (and <c>pagination</c> for lists); error answers carry <c>error</c>.
/// </summary>
public sealed class Envelope<T>
{
    public required string RequestId { get; init; }
    public required string Status { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public T? Data { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IDictionary<string, object?>? Meta { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Pagination? Pagination { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ApiError? Error { get; init; }
}

public static class Envelope
{
    public const string Success = "success";
    public const string ErrorStatus = "error";

    /// <summary>The <c>meta</c> of an answer that has none: <c>{}</c>, shared and read-only.</summary>
    private static readonly IDictionary<string, object?> NoMeta = System.Collections.ObjectModel.ReadOnlyDictionary<string, object?>.Empty;

    public static Envelope<T> Ok<T>(string requestId, T data, IDictionary<string, object?>? meta = null,
        Pagination? pagination = null) => new()
    {
        RequestId = requestId,
        Status = Success,
        Data = data,
        Meta = meta ?? NoMeta,
        Pagination = pagination,
    };

    public static Envelope<object> Fail(string requestId, ErrorCode code, string message, object? details = null) => new()
    {
        RequestId = requestId,
        Status = ErrorStatus,
        Error = new ApiError(message, code.Wire(), details),
    };
}

/// <summary><c>error{message, code, details}</c>; details is null when there is nothing to add.</summary>
public sealed record ApiError(string Message, string Code, object? Details);

/// <summary>List wrapper: <c>data.items</c>.</summary>
public sealed record ItemList<T>(IReadOnlyList<T> Items);

public sealed record Pagination(int Total, int Page, int PageSize, int TotalPages)
{
    public static Pagination Of(long total, int page, int pageSize)
    {
        var t = (int)Math.Min(total, int.MaxValue);
        return new(t, page, pageSize, pageSize <= 0 ? 0 : (int)((t + (long)pageSize - 1) / pageSize));
    }
}
