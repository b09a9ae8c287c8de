using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using Wati.Platform.Http;
using Wati.Platform.Jobs;

namespace Wati.Server;

/// <summary>
/// What only this host does: Kestrel defaults, mapping the shared route table, and envelopes for
/// what never reaches a route (unknown paths, wrong methods, failures before routing).
/// </summary>
public static class ServerHost
{
    private const string DefaultUrl = "http://localhost:7071";
    private static readonly string[] StandardMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>Whether this process is the server itself rather than a test host running its Program.</summary>
    private static bool IsServerProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(ServerHost).Assembly;

    /// <summary>
    /// Host options whose content root is the app's own folder (where <c>appsettings.json</c> is built to),
    /// not the working directory, so a service manager or container starting the server from elsewhere
    /// gets the same settings. <c>--contentRoot</c> or <c>ASPNETCORE_CONTENTROOT</c> still choose another, and
    /// so does a test host (WebApplicationFactory sets its own, and refuses a builder that pins one).
    /// </summary>
    public static WebApplicationOptions Options(string[] args)
    {
        var chosen = !IsServerProcess || args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase)) ||
                     !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT")) ||
                     !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        // Settings are read once at start (the platform binds IOptions, never IOptionsMonitor), so watching the
        // appsettings files for changes only cost start-up time (file watchers); a later argument can still say true.
        string[] hostArgs = ["--hostBuilder:reloadConfigOnChange=false", .. args];
        return new WebApplicationOptions { Args = hostArgs, ContentRootPath = chosen ? null : AppContext.BaseDirectory };
    }

    /// <summary>
    /// Defaults under every configuration source (appsettings, environment, command line override them):
    /// ASP.NET Core's own per-request lines (request start/finish, endpoint executing/executed) only
    /// from <c>Warning</c>, so the default level writes no line per request; errors are always logged.
    /// <c>AllowedHosts</c>: ASP.NET Core's host filtering answers 400 to any other <c>Host</c>, and links
    /// (<c>Location</c>, file URLs) are built only from an allowed host when <c>Wati:PublicBaseUrl</c> is
    /// unset (issue 24 finding 10); a server reached under another name sets both.
    /// </summary>
    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["AllowedHosts"] = "localhost;127.0.0.1;[::1]",
    };

    public static IWebHostBuilder UseWatiDefaults(this IWebHostBuilder web)
    {
        web.ConfigureAppConfiguration(c => c.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults }));
        // Same port as `func start`, so clients and docs work against either host; --urls overrides.
        if (string.IsNullOrEmpty(web.GetSetting(WebHostDefaults.ServerUrlsKey))) web.UseUrls(DefaultUrl);
        web.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
        });
        // First of the startup filters, so outside ASP.NET Core's host filtering, whose refusal it turns into an envelope.
        web.ConfigureServices(s =>
        {
            s.Insert(0, ServiceDescriptor.Singleton<IStartupFilter, RefusedHostEnvelope>());
            s.PostConfigure<HostFilteringOptions>(o => o.IncludeFailureMessage = false);
        });
        return web;
    }

    /// <summary>
    /// ASP.NET Core's host filtering refuses a <c>Host</c> outside <c>AllowedHosts</c> with a bare 400 and no
    /// body (its failure message switched off here); this wraps it and answers that refusal with the envelope
    /// (400 <c>VALIDATION_ERROR</c>, <c>details.field</c> = <c>Host</c>), like every other bad input.
    /// </summary>
    private sealed class RefusedHostEnvelope : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                await inner(context);
                // Only host filtering ends a request with 400 and nothing written: every route and error writes an envelope.
                if (context.Response is { StatusCode: 400, HasStarted: false } && context.GetEndpoint() is null)
                {
                    var refused = new Wati.Envelope.ApiException(Wati.Envelope.ErrorCode.ValidationError,
                        "this server does not answer to the host named by the Host header (AllowedHosts)", new { field = "Host" });
                    var translator = context.RequestServices.GetRequiredService<ErrorTranslator>();
                    await translator.ToResult(refused, RequestIds.Ensure(context), context).ExecuteAsync(context);
                }
            });
            next(app);
        };
    }

    /// <summary>
    /// Runs the host; when its address is taken, says so in one line naming the setting to change
    /// (instead of the host's logged stack trace) and returns exit code 2.
    /// </summary>
    public static int RunOrExplain(this WebApplication app)
    {
        // A test host (WebApplicationFactory) binds no port: nothing to probe, whatever else listens there.
        if (!IsServerProcess)
        {
            app.Run();
            return 0;
        }
        var urls = app.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } set ? set : DefaultUrl;
        if (urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(InUse) is { } taken)
        {
            Console.Error.WriteLine($"wati: {taken} is already in use; choose another address with --urls, e.g. ./run.sh --urls http://localhost:7072");
            return 2;
        }
        try
        {
            // The settings first, all of them in one message: the host would build its hosted services (and
            // through them options whose own validation throws alone) before its start-up validation runs.
            app.Services.GetService<IStartupValidator>()?.Validate();
            app.Run();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            Console.Error.WriteLine("wati: not started; fix these settings and start again:");
            foreach (var failure in e.Failures) Console.Error.WriteLine("  - " + failure);
            return 2;
        }
    }

    /// <summary>Whether something already listens on the port of <paramref name="url"/> (checked by binding it briefly).</summary>
    private static bool InUse(string url)
    {
        var address = BindingAddress.Parse(url);
        IPAddress[] hosts = address.Host switch
        {
            "localhost" => [IPAddress.Loopback],
            "*" or "+" or "0.0.0.0" or "[::]" => [IPAddress.Any],
            var h => IPAddress.TryParse(h.Trim('[', ']'), out var ip) ? [ip] : [],
        };
        foreach (var host in hosts)
        {
            try
            {
                using var probe = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(host, address.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The queue pump (every registered queue handler) and the periodic runner (every registered periodic task)
    /// run in this process; in Azure, queue and timer functions call the same handlers and tasks.
    /// </summary>
    public static IServiceCollection AddWatiServerHost(this IServiceCollection services) =>
        services.AddHostedService<Wati.Platform.Jobs.Queue.QueuePump>().AddHostedService<Wati.Platform.Common.PeriodicRunner>();

    public static WebApplication UseWatiErrorEnvelope(this WebApplication app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error ?? new InvalidOperationException("unknown failure");
            var translator = context.RequestServices.GetRequiredService<ErrorTranslator>();
            await translator.ToResult(error, RequestIds.Ensure(context), context).ExecuteAsync(context);
        }));
        return app;
    }

    /// <summary>
    /// Maps every route of the shared table, then 405 for known paths with other methods and 404 for the
    /// rest. The pipeline is resolved per request, not while mapping: resolving it here would build the
    /// adapters before the host's start-up validation runs, so a misconfigured start would report only the
    /// first bad key, from the wrong place.
    /// </summary>
    public static WebApplication MapWatiRoutes(this WebApplication app)
    {
        // From the root container (every platform service is a singleton), so a request creates no DI scope.
        HttpPipeline? pipeline = null;
        HttpPipeline Pipeline(HttpContext _) => pipeline ??= app.Services.GetRequiredService<HttpPipeline>();
        foreach (var route in RouteTable.All)
        {
            app.MapMethods("/" + route.Template, [route.Method], async ctx =>
                {
                    var result = await Pipeline(ctx).RunAsync(route, ctx.Request, RouteArgs.From(ctx.Request.RouteValues), ctx.RequestAborted);
                    await result.ExecuteAsync(ctx);
                })
                .WithName(route.Name);
        }

        // The own routes of models declared in settings (known once configuration is read): POST, and 405 for other methods.
        foreach (var route in app.Services.GetRequiredService<Wati.Platform.Models.Catalog.DeclaredRoutes>().All)
        {
            app.MapMethods("/" + route.Template, [route.Method], async ctx =>
                    await (await Pipeline(ctx).RunAsync(route, ctx.Request, RouteArgs.Empty, ctx.RequestAborted)).ExecuteAsync(ctx))
                .WithName(route.Name);
            app.MapMethods("/" + route.Template, StandardMethods.Except([route.Method]).ToArray(),
                ctx => Pipeline(ctx).NoRoute(ctx, [route.Method]).ExecuteAsync(ctx));
        }

        foreach (var group in RouteTable.All.GroupBy(r => r.Template))
        {
            var allowed = group.Select(r => r.Method).ToArray();
            var others = StandardMethods.Except(allowed).ToArray();
            if (others.Length > 0)
                app.MapMethods("/" + group.Key, others, ctx => Pipeline(ctx).NoRoute(ctx, allowed).ExecuteAsync(ctx));
        }

        // The default fallback pattern skips paths that look like files ("/x.db"); every path gets the envelope.
        app.MapFallback("{**path}", ctx => Pipeline(ctx).NoRoute(ctx, []).ExecuteAsync(ctx));
        return app;
    }
}
