namespace Wati.Envelope;

/// <summary>The platform's error codes (design section 5). The wire form is the SCREAMING_SNAKE name.</summary>
public enum ErrorCode
{
    ValidationError,
    MissingFiles,
    Unauthenticated,
    InsufficientBalance,
    PermissionDenied,
    NotFound,
    MethodNotAllowed,
    TimeoutError,
    AlreadyExists,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimitExceeded,
    ProcessingError,
    Unimplemented,
    InternalError,
}

public static class ErrorCodes
{
    /// <summary>The code as it appears in <c>error.code</c>.</summary>
    public static string Wire(this ErrorCode code) => code switch
    {
        ErrorCode.ValidationError => "VALIDATION_ERROR",
        ErrorCode.MissingFiles => "MISSING_FILES",
        ErrorCode.Unauthenticated => "UNAUTHENTICATED",
        ErrorCode.InsufficientBalance => "INSUFFICIENT_BALANCE",
        ErrorCode.PermissionDenied => "PERMISSION_DENIED",
        ErrorCode.NotFound => "NOT_FOUND",
        ErrorCode.MethodNotAllowed => "METHOD_NOT_ALLOWED",
        ErrorCode.TimeoutError => "TIMEOUT_ERROR",
        ErrorCode.AlreadyExists => "ALREADY_EXISTS",
        ErrorCode.PayloadTooLarge => "PAYLOAD_TOO_LARGE",
        ErrorCode.UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        ErrorCode.RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
        ErrorCode.ProcessingError => "PROCESSING_ERROR",
        ErrorCode.Unimplemented => "UNIMPLEMENTED",
        ErrorCode.InternalError => "INTERNAL_ERROR",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    /// <summary>Default HTTP status. PROCESSING_ERROR is 500 unless the model rejected the input (400).</summary>
    public static int HttpStatus(this ErrorCode code) => code switch
    {
        ErrorCode.ValidationError or ErrorCode.MissingFiles => 400,
        ErrorCode.Unauthenticated => 401,
        ErrorCode.InsufficientBalance => 402,
        ErrorCode.PermissionDenied => 403,
        ErrorCode.NotFound => 404,
        ErrorCode.MethodNotAllowed => 405,
        ErrorCode.TimeoutError => 408,
        ErrorCode.AlreadyExists => 409,
        ErrorCode.PayloadTooLarge => 413,
        ErrorCode.UnsupportedMediaType => 415,
        ErrorCode.RateLimitExceeded => 429,
        ErrorCode.ProcessingError => 500,
        ErrorCode.Unimplemented => 501,
        _ => 500,
    };

    /// <summary>
    /// The numeric code of the platform's first API (<c>{"code": N, "message": ...}</c>), kept so a
    /// compatibility layer can be added without guessing.
    /// </summary>
    public static int LegacyCode(this ErrorCode code) => code switch
    {
        ErrorCode.ValidationError or ErrorCode.MissingFiles or ErrorCode.PayloadTooLarge
            or ErrorCode.UnsupportedMediaType => 3,
        ErrorCode.Unauthenticated => 16,
        ErrorCode.InsufficientBalance => 9,
        ErrorCode.PermissionDenied => 7,
        ErrorCode.NotFound => 5,
        ErrorCode.MethodNotAllowed or ErrorCode.Unimplemented => 12,
        ErrorCode.AlreadyExists => 6,
        ErrorCode.RateLimitExceeded => 8,
        ErrorCode.TimeoutError => 4,
        _ => 13,
    };

    public static bool TryParseWire(string wire, out ErrorCode code)
    {
        foreach (var c in Enum.GetValues<ErrorCode>())
        {
            if (c.Wire() == wire) { code = c; return true; }
        }
        code = default;
        return false;
    }
}
