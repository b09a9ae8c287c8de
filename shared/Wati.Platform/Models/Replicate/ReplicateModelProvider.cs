using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Platform.Jobs;
using Wati.Platform.Models.Catalog;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// The <c>replicate</c> provider (design section 10): creates a prediction with <c>Prefer: wait</c> and a
/// <c>Cancel-After</c> deadline of the whole run's budget (<see cref="ModelTimeBudget.Worst"/>), polls
/// <c>urls.get</c> with a doubling delay until a terminal status, and downloads every output, because
/// Replicate deletes its files within an hour and the job processor stores ours.
/// Called through <see cref="ModelPipeline"/> (<see cref="ModelRequest.Run"/> set), an attempt that times
/// out or fails while polling leaves the prediction running and the next attempt polls the same one:
/// Replicate bills canceled predictions, so a retry never cancels and re-creates (issue 17). The
/// prediction is canceled only when the run is abandoned (<see cref="AbandonAsync"/>).
/// Errors, as <see cref="ModelException"/>:
/// <list type="bullet">
/// <item>input errors (<c>IsInputError</c>, never retried): a 422 on create about the input, or a <c>failed</c> prediction whose error contains one of
/// <see cref="ReplicateOptions.InputErrorMarkers"/>;</item>
/// <item>configuration errors (<c>ConfigurationKey</c>, never retried): a 422 "Invalid version or not permitted"
/// or a 404 on create (replicate-javascript #307, replicate-python #320), logged as an error naming the
/// setting and reported by readiness (<see cref="ReplicateModelFaults"/>);</item>
/// <item>transient (<c>IsTransient</c>, <c>RetryAfter</c> from the header or the body's hint; 429s also
/// <c>IsThrottled</c>): 429, 5xx and no answer on create or download, too many failed polls in a row, and an
/// <c>aborted</c> prediction (Replicate ended it before it ran);</item>
/// <item>anything else is a failure: other 4xx (a bad token), <c>failed</c> and <c>canceled</c>
/// predictions, an output that cannot be downloaded (404) or is not an image.</item>
/// </list>
/// Called directly (no <see cref="ModelRun"/>), a run that fails or whose token fires cancels its prediction
/// through <c>urls.cancel</c>, best effort. Replicate's error texts are cut to <see cref="OutsideText.ErrorMaxChars"/>.
/// </summary>
public sealed class ReplicateModelProvider(ReplicateClient client, IOptions<ReplicateOptions> options, IOptions<ModelsOptions> models,
    ReplicateModelFaults faults, TimeProvider time, ModelCatalog catalog, ILogger<ReplicateModelProvider> logger) : IModelProvider
{
    private static readonly TimeSpan CancelBudget = ModelTimeBudget.AbandonAllowance;

    public string Name => "replicate";

    private ReplicateOptions Options => options.Value;

    /// <summary>What one pipeline run keeps between attempts: the prediction it created and how its inputs travelled.</summary>
    private sealed class Pending(ReplicatePrediction prediction, string strategy)
    {
        public ReplicatePrediction Prediction { get; set; } = prediction;
        public string Strategy { get; } = strategy;
    }

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        if (!Options.Models.TryGetValue(request.Model, out var model) || string.IsNullOrEmpty(model.Model))
            throw new ModelException($"no Replicate model is configured for '{request.Model}' (Wati:Models:Replicate:Models:{request.Model}:Model)")
            {
                ConfigurationKey = $"{ReplicateOptions.Section}:Models:{request.Model}:Model",
            };

        var definition = catalog.Find(request.Model) ??
                         throw new ModelException($"the replicate provider cannot run parameters of type {request.Parameters.GetType().Name}");
        var run = request.Run;
        if (run?.ProviderState is not Pending pending)
        {
            var (input, strategy) = await Translate(request.Model, model,
                () => ReplicateInputs.BuildAsync(request, definition, model, Options, client, cancellationToken));
            var created = await Translate(request.Model, model, () => client.CreatePredictionAsync(model.Model, model.Version, input, Options.WaitSeconds,
                cancellationToken, ModelTimeBudget.Worst(models.Value)));
            faults.Clear(request.Model);
            logger.LogInformation("Replicate prediction {PredictionId} for {Model} created: {Status}", created.Id, request.Model, created.Status);
            pending = new Pending(created, strategy);
            if (run is not null) run.ProviderState = pending;
        }
        else
            logger.LogInformation("Replicate prediction {PredictionId} for {Model}: a new attempt polls it again", pending.Prediction.Id, request.Model);

        ReplicatePrediction prediction;
        try
        {
            prediction = await WaitForEndAsync(pending, cancellationToken);
        }
        catch (Exception e) when (run is null && (e is ModelException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested)))
        {
            // Called directly: we stop watching it, so it must not go on running (and charging) unobserved.
            await CancelQuietlyAsync(pending.Prediction);
            throw;
        }
        // A prediction that ended other than succeeded is done with: another attempt starts afresh.
        if (run is not null && prediction.Status != ReplicateStatus.Succeeded) run.ProviderState = null;

        // Our configured name (predictions by version may name the model differently) and the version that ran.
        var modelId = $"{model.Model}:{prediction.Version ?? model.Version ?? "latest"}";
        var outputs = prediction.Status switch
        {
            // Each output must be the media the model makes (its definition's output kind: images, a video or audio).
            ReplicateStatus.Succeeded => await ReplicateOutputs.DownloadAsync(prediction, client,
                MediaProbe.KindOfOutput(definition.OutputKind), cancellationToken),
            ReplicateStatus.Failed => throw Failed(prediction),
            ReplicateStatus.Aborted => throw new ModelException($"Replicate aborted prediction {prediction.Id} before it ran", isTransient: true),
            _ => throw new ModelException($"Replicate prediction {prediction.Id} was canceled"),
        };
        if (run is not null) run.ProviderState = null;
        logger.LogInformation("Replicate prediction {PredictionId} succeeded with {Count} outputs", prediction.Id, outputs.Count);
        return new ModelResult(outputs, modelId, prediction.Id, pending.Strategy);
    }

    /// <summary>The run failed for good or its caller gave up: cancel the prediction its attempts left running.</summary>
    public async Task AbandonAsync(ModelRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.ProviderState is not Pending pending) return;
        run.ProviderState = null;
        await CancelQuietlyAsync(pending.Prediction);
    }

    public async Task<string?> CheckAsync(CancellationToken cancellationToken = default)
    {
        ReplicateOptions configured;
        try
        {
            configured = Options;
        }
        catch (OptionsValidationException e)
        {
            // Nothing to call with: say what is missing instead.
            return string.Join("; ", e.Failures);
        }
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(configured.Token)) missing.Add($"{ReplicateOptions.Section}:Token is not set");
        foreach (var name in catalog.Names)
            if (!configured.Models.TryGetValue(name, out var m) || string.IsNullOrWhiteSpace(m.Model))
                missing.Add($"{ReplicateOptions.Section}:Models:{name}:Model is not set");
        if (missing.Count > 0) return string.Join("; ", missing);
        try
        {
            await client.GetAccountAsync(cancellationToken);
            return null;
        }
        catch (ReplicateException e)
        {
            return e.Status is 401 or 403 ? "Replicate refused the configured token" : e.Message;
        }
    }

    /// <summary>Polls until a terminal status; a null output while running only means "not yet". Keeps <paramref name="pending"/> current.</summary>
    private async Task<ReplicatePrediction> WaitForEndAsync(Pending pending, CancellationToken ct)
    {
        var prediction = pending.Prediction;
        var delay = TimeSpan.FromMilliseconds(Options.PollInitialDelayMs);
        var maxDelay = TimeSpan.FromMilliseconds(Math.Max(Options.PollInitialDelayMs, Options.PollMaxDelayMs));
        var errors = 0;
        while (!prediction.IsTerminal)
        {
            if (!Uri.TryCreate(prediction.Urls?.Get, UriKind.Absolute, out var get))
                throw new ModelException($"Replicate prediction {prediction.Id} has no urls.get to poll");
            await Task.Delay(delay, time, ct);
            try
            {
                prediction = await client.GetPredictionAsync(get, ct);
                pending.Prediction = prediction;
                errors = 0;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
            catch (ReplicateException e) when (e.IsTransient)
            {
                // The prediction runs on regardless: wait as told and look again, not re-create it.
                if (++errors >= Options.MaxPollErrors)
                    throw new ModelException($"polling Replicate prediction {prediction.Id} failed {errors} times: {e.Message}",
                        isTransient: true, retryAfter: e.RetryAfter, inner: e) { IsThrottled = e.IsThrottled };
                logger.LogWarning("Polling Replicate prediction {PredictionId} answered {Status}; trying again", prediction.Id, e.Status);
                delay = e.RetryAfter ?? delay;
            }
            catch (ReplicateException e)
            {
                throw new ModelException($"polling Replicate prediction {prediction.Id} failed: {e.Message}", inner: e);
            }
        }
        return prediction;
    }

    private ModelException Failed(ReplicatePrediction prediction)
    {
        var error = prediction.ErrorText ?? "no error given";
        var isInput = Options.InputErrorMarkers.Any(m => error.Contains(m, StringComparison.OrdinalIgnoreCase));
        return new ModelException($"Replicate prediction {prediction.Id} failed: {error}", isInputError: isInput);
    }

    /// <summary>Best effort, and not with the caller's token: that one has fired already.</summary>
    private async Task CancelQuietlyAsync(ReplicatePrediction prediction)
    {
        if (prediction.IsTerminal || !Uri.TryCreate(prediction.Urls?.Cancel, UriKind.Absolute, out var cancel)) return;
        try
        {
            using var budget = new CancellationTokenSource(CancelBudget, time);
            await client.CancelPredictionAsync(cancel, budget.Token);
            logger.LogInformation("Replicate prediction {PredictionId} canceled", prediction.Id);
        }
        catch (Exception e) when (e is ReplicateException or OperationCanceledException)
        {
            logger.LogWarning("Canceling Replicate prediction {PredictionId} failed: {Error}", prediction.Id, e.Message);
        }
    }

    /// <summary>Replicate's answers to a create (or an upload) as our failure kinds (see the class summary).</summary>
    private async Task<T> Translate<T>(string ours, ReplicateModelOptions model, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ReplicateException e) when (IsConfigurationFault(e))
        {
            var key = string.IsNullOrEmpty(model.Version)
                ? $"{ReplicateOptions.Section}:Models:{ours}:Model"
                : $"{ReplicateOptions.Section}:Models:{ours}:Version";
            var value = string.IsNullOrEmpty(model.Version) ? model.Model : model.Version;
            var problem = $"Replicate refused the model configured at {key} ('{value}'): {e.Message}";
            faults.Record(ours, problem);
            logger.LogError("{Problem}. Fix {Setting}: jobs of {Model} fail and are refunded until then", problem, key, ours);
            throw new ModelException(problem, inner: e) { ConfigurationKey = key };
        }
        catch (ReplicateException e) when (e.Status == 422)
        {
            throw new ModelException("Replicate rejected the input: " + e.Message, isInputError: true, inner: e);
        }
        catch (ReplicateException e)
        {
            throw new ModelException(e.Message, isTransient: e.IsTransient, retryAfter: e.RetryAfter, inner: e) { IsThrottled = e.IsThrottled };
        }
    }

    /// <summary>
    /// Our configuration, not the input: Replicate's 422 "Invalid version or not permitted" ("The specified
    /// version does not exist (or perhaps you don't have permission to use it?)"; replicate-javascript #307,
    /// replicate-python #320), or a 404 for the model's own predictions route (not an official model, or no such model).
    /// </summary>
    private static bool IsConfigurationFault(ReplicateException e) =>
        e.Status == 404 && e.Message.Contains("/predictions", StringComparison.Ordinal) ||
        e.Status == 422 && ((e.Title ?? "").Contains("Invalid version or not permitted", StringComparison.OrdinalIgnoreCase) ||
                            e.Message.Contains("specified version does not exist", StringComparison.OrdinalIgnoreCase) ||
                            e.Message.Contains("Invalid version or not permitted", StringComparison.OrdinalIgnoreCase));
}
