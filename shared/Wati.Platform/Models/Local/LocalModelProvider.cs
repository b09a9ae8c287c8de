using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// The embedded default provider: deterministic image processing with libvips (through NetVips, whose
/// native package carries libvips itself) standing in for the hosted AI models, so the whole API works
/// (and is testable) offline. Each model really transforms its input in the way it claims, just without
/// the AI. Inputs go through the same normalisation as uploads (<see cref="InputImages"/>).
/// </summary>
public sealed class LocalModelProvider : IModelProvider
{
    private readonly SemaphoreSlim gate;
    private readonly ILogger logger;
    private readonly DecodeLimits limits;
    private readonly Action<CancellationToken>? beforeRun;
    private readonly ModelCatalog catalog;

    /// <param name="maxConcurrentRuns">
    /// Runs allowed at once. libvips already spreads one run over every core, so more than one or two
    /// only adds memory pressure.
    /// </param>
    /// <param name="logger">Receives libvips' own words when a run fails; answers never carry them.</param>
    /// <param name="limits">Decode cost bounds for inputs (<see cref="UploadOptions.MaxJpegScans"/>, ...); the defaults when null.</param>
    /// <param name="catalog">The models it runs, each by its definition's local run; the code models when null.</param>
    public LocalModelProvider(int maxConcurrentRuns = 1, ILogger<LocalModelProvider>? logger = null, DecodeLimits? limits = null,
        ModelCatalog? catalog = null)
        : this(maxConcurrentRuns, logger, limits, beforeRun: null, catalog)
    {
    }

    /// <summary>For tests: <paramref name="beforeRun"/> runs on the worker thread before each run, to script a run that will not stop.</summary>
    internal LocalModelProvider(int maxConcurrentRuns, ILogger<LocalModelProvider>? logger, DecodeLimits? limits,
        Action<CancellationToken>? beforeRun, ModelCatalog? catalog = null)
    {
        this.catalog = catalog ?? ModelCatalog.CodeOnly;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentRuns, 1);
        gate = new SemaphoreSlim(maxConcurrentRuns, maxConcurrentRuns);
        this.logger = logger ?? NullLogger<LocalModelProvider>.Instance;
        this.limits = limits ?? DecodeLimits.Default;
        this.beforeRun = beforeRun;
        if (logger is not null) RouteLibvipsWarnings(logger);
    }

    private static int warningsRouted;

    /// <summary>
    /// libvips reports per-tile decode trouble as GLib warnings, which would otherwise go to stderr as
    /// raw library text; they go to our log at Debug instead (the refusal itself is logged with the
    /// request id where it is decided). Process-wide, so done once.
    /// </summary>
    private static void RouteLibvipsWarnings(ILogger logger)
    {
        if (Interlocked.Exchange(ref warningsRouted, 1) == 1 || UnavailableReason() is not null) return;
        NetVips.Log.SetLogHandler("VIPS", NetVips.Enums.LogLevelFlags.Warning | NetVips.Enums.LogLevelFlags.Message |
                                          NetVips.Enums.LogLevelFlags.Info,
            (domain, level, message) => logger.LogDebug("libvips {Level}: {Message}", level, message));
    }

    public string Name => "local";

    /// <summary>Null when libvips loads; else what is wrong (the native package is part of the build).</summary>
    public Task<string?> CheckAsync(CancellationToken cancellationToken = default) => Task.FromResult(UnavailableReason());

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Not transient: retrying cannot install a library.
        if (UnavailableReason() is { } reason) throw new ModelException(reason);

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A canceled or timed-out run answers at once and gives its slot back (issue 24, finding 1): the
            // token also sets libvips' kill flag on what the run evaluates, so the abandoned work stops at
            // its next tile; a single loader call (bounded by the scan and pixel limits) finishes first.
            var work = Task.Run(() => Run(request, cancellationToken), CancellationToken.None);
            _ = work.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            var outputs = await work.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ModelResult(outputs, "local/" + request.Model, Strategy: "in-process");
        }
        finally
        {
            gate.Release();
        }
    }

    private IReadOnlyList<ModelOutput> Run(ModelRequest request, CancellationToken cancellationToken)
    {
        beforeRun?.Invoke(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var run = new LocalRun(limits, cancellationToken);
        try
        {
            var model = catalog.Find(request.Model) ?? throw new ModelException(
                $"model '{request.Model}' with {request.Parameters.GetType().Name} is not supported", isInputError: true);
            return model.RunLocal(request.Parameters, new LocalInputs(request.Images), run);
        }
        catch (InputImageException e)
        {
            // Only the full decode showed it (the upload check could not, or was not asked to).
            logger.LogInformation("Local model {Model} refused input {Field} ({Reason}): {Detail}", request.Model, e.Field, e.Reason, e.Detail);
            throw new ModelException($"{e.Field}: {e.Message}", isInputError: true);
        }
        catch (NetVips.VipsException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the run was canceled; libvips stopped", cancellationToken);
        }
        catch (NetVips.VipsException e)
        {
            logger.LogWarning("Local model {Model} failed in libvips: {Detail}", request.Model, e.Message);
            throw new ModelException($"local model {request.Model} failed");
        }
    }

    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            return NetVips.ModuleInitializer.VipsInitialized
                ? null
                : "libvips did not load: " + (NetVips.ModuleInitializer.Exception?.Message ?? "unknown reason") +
                  "; the NetVips.Native package for this platform is missing from the build";
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
        {
            return "libvips did not load: " + e.Message;
        }
    });

    private static string? UnavailableReason() => Unavailable.Value;
}
