using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Wati.Platform.Metrics;

/// <summary>
/// Wraps a route's answer so that the call is recorded (tallied) when the host has written it: the status
/// and <c>X-Credits-Charged</c> actually sent, and the time up to the end of the body.
/// </summary>
internal sealed class RecordedResult(IResult inner, UsageRecorder usage, string route, bool charges, long started, string? userId)
    : IResult, IStatusCodeHttpResult
{
    private const string CreditsHeader = "X-Credits-Charged";

    public IResult Inner => inner;

    int? IStatusCodeHttpResult.StatusCode => (inner as IStatusCodeHttpResult)?.StatusCode;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            await inner.ExecuteAsync(httpContext);
        }
        finally
        {
            var response = httpContext.Response;
            var credits = charges && long.TryParse(response.Headers[CreditsHeader].ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
            usage.RecordCall(route, httpContext.Request.Method, response.StatusCode, usage.ElapsedSince(started), credits, userId);
        }
    }
}
