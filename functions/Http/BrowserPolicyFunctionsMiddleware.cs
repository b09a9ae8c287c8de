using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>
/// Runs the shared <see cref="BrowserPolicyMiddleware"/> (CORS for the allow-listed origins, preflights,
/// security headers) around every HTTP function, so the worker answers browsers as <c>server/</c> does.
/// Other triggers pass straight through. Leave the platform's own CORS setting empty, or it answers first.
/// </summary>
public sealed class BrowserPolicyFunctionsMiddleware(IOptions<HttpOptions> options) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http) return next(context);
        return new BrowserPolicyMiddleware(_ => next(context), options).InvokeAsync(http);
    }
}
