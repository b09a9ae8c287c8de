using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wati.Envelope;

namespace Wati.Platform.Http;

/// <summary>
/// The one place that turns a failure into an error envelope. Expected failures carry their code;
/// anything else is logged with the request id and answered 500 with no internals.
/// </summary>
public sealed class ErrorTranslator(ILogger<ErrorTranslator> logger)
{
    public IResult ToResult(Exception exception, string requestId, HttpContext? context = null)
    {
        var (code, status, message, details, retryAfter) = Classify(exception, context);
        if (status >= 500)
            logger.LogError(exception, "Request {RequestId} failed: {Code}", requestId, code.Wire());
        else
            logger.LogDebug("Request {RequestId} refused: {Code} {Message}", requestId, code.Wire(), message);

        var result = new EnvelopeResult<object>(Envelope.Envelope.Fail(requestId, code, message, details), status);
        if (retryAfter is { } seconds) result.Headers["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture);
        if (status == StatusCodes.Status401Unauthorized) result.Headers["WWW-Authenticate"] = "Bearer";
        if (exception is ApiException { Headers.Count: > 0 } withHeaders)
            foreach (var (name, value) in withHeaders.Headers) result.Headers[name] = value;
        return result;
    }

    public IResult Error(string requestId, ErrorCode code, string message, object? details = null) =>
        ToResult(new ApiException(code, message, details), requestId);

    private static (ErrorCode, int, string, object?, int?) Classify(Exception exception, HttpContext? context) => exception switch
    {
        ApiException api => (api.Code, api.HttpStatus, api.Message, api.Details, api.RetryAfterSeconds),
        JsonException json => (ErrorCode.ValidationError, 400, "malformed JSON or a field of the wrong type",
            new { path = json.Path, line = json.LineNumber, position = json.BytePositionInLine }, null),
        BadHttpRequestException { StatusCode: 413 } => (ErrorCode.PayloadTooLarge, 413, "request body too large", null, null),
        BadHttpRequestException bad => (ErrorCode.ValidationError, 400, "malformed request: " + bad.Message, null, null),
        // A form limit broken by a small body is a malformed request, not a large one (413 is for size).
        InvalidDataException => (ErrorCode.ValidationError, 400, "malformed request body", null, null),
        OperationCanceledException or IOException when context?.RequestAborted.IsCancellationRequested == true =>
            (ErrorCode.ValidationError, 400, "request canceled by the client", null, null),
        _ => (ErrorCode.InternalError, 500, "internal error; quote the request_id when reporting it", null, null),
    };
}
