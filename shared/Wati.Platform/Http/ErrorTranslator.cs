using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Amazon.Runtime;
using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Http;

/// <summary>
/// The one place that turns a failure into an error envelope. Expected failures carry their code; an
/// adapter that is down (<see cref="IsUnavailable"/>) is 503 <c>INTERNAL_ERROR</c> with
/// <c>details.retryable</c> and <c>Retry-After</c>; anything else is logged with the request id and
/// answered 500 with no internals.
/// </summary>
public sealed class ErrorTranslator(ILogger<ErrorTranslator> logger)
{
    /// <summary>The <c>Retry-After</c> of a 503 for an adapter that is down, in seconds.</summary>
    public const int UnavailableRetryAfterSeconds = 5;


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
        _ when IsUnavailable(exception) => (ErrorCode.InternalError, 503,
            "a service this request needs is unavailable; retry later (quote the request_id if it persists)",
            new { retryable = true }, UnavailableRetryAfterSeconds),
        _ => (ErrorCode.InternalError, 500, "internal error; quote the request_id when reporting it", null, null),
    };

    /// <summary>
    /// Whether <paramref name="exception"/> says an adapter could not be reached or was unavailable, rather
    /// than that the request or the code was wrong (issue 17: a request that needs an adapter that is
    /// down answers 503, not 500). The set, by adapter:
    /// <list type="bullet">
    /// <item>Azure Tables and Queues: <see cref="RequestFailedException"/> with status 0 (no response:
    /// connection refused, DNS, reset) or 500/502/503/504 (Azure Storage's InternalError, ServerBusy and
    /// OperationTimedOut, which its documentation calls retryable), and the <see cref="AggregateException"/>
    /// Azure.Core throws when its retries are exhausted, when every attempt failed that way.</item>
    /// <item>The table port: <see cref="TableStoreException"/> with one of those statuses.</item>
    /// <item>S3: <see cref="AmazonServiceException"/> with 500/502/503/504 (SlowDown, ServiceUnavailable)
    /// and any AWS exception caused by a transport failure.</item>
    /// <item>Any adapter: <see cref="HttpRequestException"/>, <see cref="SocketException"/> and
    /// <see cref="TimeoutException"/> (also as the cause of a cancellation the caller did not ask for).</item>
    /// <item>SQLite (embedded): SQLITE_BUSY (5) and SQLITE_LOCKED (6) once the busy timeout ran out, and
    /// SQLITE_CANTOPEN (14), the data folder gone.</item>
    /// </list>
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnavailable),
        RequestFailedException azure => azure.Status == 0 || IsUnavailableStatus(azure.Status),
        TableStoreException table => table.Status == 0 || IsUnavailableStatus(table.Status),
        AmazonServiceException aws when IsUnavailableStatus((int)aws.StatusCode) => true,
        AmazonServiceException or AmazonClientException => exception.InnerException is { } cause && IsUnavailable(cause),
        HttpRequestException or SocketException or TimeoutException => true,
        OperationCanceledException canceled => canceled.InnerException is TimeoutException,
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 14,
        _ => false,
    };

    private static bool IsUnavailableStatus(int status) => status is 500 or 502 or 503 or 504;
}
