using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wati.Functions.Http;
using Wati.Platform;
using Wati.Platform.Common;
using Wati.Platform.Http;
using Wati.Platform.Jobs;
using Wati.Platform.Models;

namespace Wati.Functions;

/// <summary>
/// The worker's composition, used by <c>Program.cs</c> and by the tests that build the worker's
/// services without running it: ASP.NET Core integration, the platform composition <c>server/</c> also
/// calls, the browser policy as a worker middleware, and what only Azure's HTTP front imposes: the body
/// limit of <c>server/</c> (<see cref="RequestLimits.MaxBodyBytes"/>) and waits within 230 s. Queue consumers and the sweeper are not hosted
/// services here: queue and timer functions do that work.
/// </summary>
public static class FunctionsComposition
{
    /// <summary>The storage connection the queue triggers listen on (the host's own storage account).</summary>
    public const string QueueConnection = "AzureWebJobsStorage";

    /// <summary>Configures <paramref name="builder"/>; call once, after any configuration source is added.</summary>
    /// <exception cref="InvalidOperationException">A profile or provider key names nothing this build has.</exception>
    public static FunctionsApplicationBuilder Configure(FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<BrowserPolicyFunctionsMiddleware>();
        QueueOnTriggerStorage(builder.Configuration);
        builder.Services.AddWatiPlatform(builder.Configuration);
        // One model run (attempts x timeouts + backoff) must fit in the host's functionTimeout (host.json beside the worker).
        builder.Services.AddModelTimeBudget(ModelTimeBudget.FunctionTimeoutOf(builder.Configuration, AppContext.BaseDirectory));
        builder.Services.AddWatiBrowserPolicy();
        // The worker's Kestrel (ASP.NET Core integration) would keep its 30 MB default: same limit as server/.
        builder.Services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes);
        // Azure answers no HTTP call after 230 s: a longer configured wait is refused at start.
        builder.Services.AddOptions<JobsOptions>().ValidateProblems((o, _) => o.FunctionsProblems());
        return builder;
    }

    /// <summary>
    /// The triggers listen on <see cref="QueueConnection"/>, so the adapter must send there too: when
    /// <c>Wati:Queue:Storage</c> names no account, it is taken from <c>AzureWebJobsStorage</c> (a
    /// connection string, or <c>AzureWebJobsStorage__accountName</c> with managed identity).
    /// </summary>
    private static void QueueOnTriggerStorage(IConfigurationManager configuration)
    {
        const string Key = "Wati:Queue:Storage:";
        if (configuration[Key + "ConnectionString"] is { Length: > 0 } || configuration[Key + "Endpoint"] is { Length: > 0 }) return;
        if (configuration[QueueConnection] is { Length: > 0 } connectionString)
            configuration[Key + "ConnectionString"] = connectionString;
        else if (configuration[QueueConnection + ":accountName"] is { Length: > 0 } account)
            configuration[Key + "Endpoint"] = $"https://{account}.queue.core.windows.net";
    }
}
