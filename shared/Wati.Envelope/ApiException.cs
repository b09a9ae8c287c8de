namespace Wati.Envelope;

/// <summary>
/// An expected failure with an error code: validation, not found, balance, limits. The one error
/// translator turns it into the error envelope; nothing else writes error bodies.
/// </summary>
public class ApiException(ErrorCode code, string message, object? details = null, int? httpStatus = null)
    : Exception(message)
{
    public ErrorCode Code { get; } = code;
    public object? Details { get; } = details;
    public int HttpStatus { get; } = httpStatus ?? code.HttpStatus();

    /// <summary>Seconds a client should wait before retrying (429), written as <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Extra response headers for this error (e.g. the price of the call it is about).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static ApiException Validation(string message, object? details = null) =>
        new(ErrorCode.ValidationError, message, details);

    public static ApiException NotFound(string what) => new(ErrorCode.NotFound, $"{what} not found");
}
