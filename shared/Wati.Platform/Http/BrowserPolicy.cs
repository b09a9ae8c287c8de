using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wati.Envelope;

namespace Wati.Platform.Http;

/// <summary><c>Wati:Http</c>: what browsers may do with the API.</summary>
public sealed class HttpOptions
{
    public const string Section = "Wati:Http";

    /// <summary>Origins (scheme://host[:port]) whose pages may call the API from a browser; none by default.</summary>
    public string[] CorsOrigins { get; set; } = [];
}

/// <summary>
/// What browser clients need, in either host (ASP.NET Core middleware; the Functions worker's ASP.NET
/// Core integration runs the same): CORS for the allow-listed origins only (<see cref="HttpOptions"/>),
/// preflight answered before authentication, and security headers on every answer: <c>nosniff</c>,
/// <c>Referrer-Policy</c>, a strict <c>Content-Security-Policy</c> unless the answer set its own (the docs
/// page does), and HSTS over HTTPS.
/// </summary>
public sealed class BrowserPolicyMiddleware(RequestDelegate next, IOptions<HttpOptions> options)
{
    /// <summary>The CSP of JSON answers: they load nothing and are framed by nothing.</summary>
    public const string ApiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

    private const string AllowedMethods = "GET, POST, DELETE";
    private const string AllowedHeaders = "Authorization, Content-Type, Prefer, Idempotency-Key, X-Request-Id";
    private const string ExposedHeaders = "X-Request-Id, X-Credits-Charged, Retry-After, Location";

    private readonly HashSet<string> _origins = new(options.Value.CorsOrigins.Select(o => o.Trim().TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        var allowed = origin.Length > 0 && _origins.Contains(origin);
        context.Response.OnStarting(() =>
        {
            WriteSecurityHeaders(context);
            if (allowed) WriteCors(context.Response, origin);
            return Task.CompletedTask;
        });

        if (HttpMethods.IsOptions(request.Method) && origin.Length > 0 && request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            // A preflight carries no credentials by design: answered here, never authenticated.
            if (!allowed)
            {
                var refused = new ApiException(ErrorCode.PermissionDenied, "this origin may not call the API from a browser", new { origin });
                await context.RequestServices.GetRequiredService<ErrorTranslator>()
                    .ToResult(refused, RequestIds.Ensure(context), context).ExecuteAsync(context);
                return;
            }
            RequestIds.Ensure(context);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            context.Response.Headers.AccessControlAllowMethods = AllowedMethods;
            context.Response.Headers.AccessControlAllowHeaders = AllowedHeaders;
            context.Response.Headers.AccessControlMaxAge = "600";
            return;
        }
        await next(context);
    }

    private static void WriteCors(HttpResponse response, string origin)
    {
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlExposeHeaders = ExposedHeaders;
        response.Headers.Append("Vary", "Origin");
    }

    private static void WriteSecurityHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        if (string.IsNullOrEmpty(headers.ContentSecurityPolicy)) headers.ContentSecurityPolicy = ApiCsp;
        if (context.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
    }
}

public static class BrowserPolicyExtensions
{
    /// <summary>Binds <see cref="HttpOptions"/> (<c>Wati:Http</c>).</summary>
    public static IServiceCollection AddWatiBrowserPolicy(this IServiceCollection services)
    {
        services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.Section);
        return services;
    }

    /// <summary>CORS and security headers for every answer; put it first in the pipeline.</summary>
    public static IApplicationBuilder UseWatiBrowserPolicy(this IApplicationBuilder app) => app.UseMiddleware<BrowserPolicyMiddleware>();
}
