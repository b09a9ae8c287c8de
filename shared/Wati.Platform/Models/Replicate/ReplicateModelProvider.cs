using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// The <c>replicate</c> provider (design section 10): creates a prediction with <c>Prefer: wait</c>, polls
/// <c>urls.get</c> with a doubling delay until a terminal status, and downloads every output, because
/// Replicate deletes its files within an hour and the job processor stores ours.
/// Errors, as <see cref="ModelException"/>:
/// <list type="bullet">
/// <item>input errors (<c>IsInputError</c>, never retried): a 422 on create, or a <c>failed</c> prediction
/// whose error contains one of <see cref="ReplicateOptions.InputErrorMarkers"/>;</item>
/// <item>transient (<c>IsTransient</c>, <c>RetryAfter</c> from the header): 429, 5xx and no answer on
/// create or download, too many failed polls in a row, and an <c>aborted</c> prediction (Replicate ended
/// it before it ran);</item>
/// <item>anything else is a failure: other 4xx (a bad token or model), <c>failed</c> and <c>canceled</c>
/// predictions, an output that cannot be downloaded (404) or is not an image.</item>
/// </list>
/// When <c>cancellationToken</c> fires (the job was canceled or its deadline passed) the prediction is
/// canceled through <c>urls.cancel</c>, best effort, and <see cref="OperationCanceledException"/> thrown.
/// </summary>
public sealed class ReplicateModelProvider(ReplicateClient client, IOptions<ReplicateOptions> options, TimeProvider time,
    ILogger<ReplicateModelProvider> logger) : IModelProvider
{
    private static readonly TimeSpan CancelBudget = TimeSpan.FromSeconds(10);

    public string Name => "replicate";

    private ReplicateOptions Options => options.Value;

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        if (!Options.Models.TryGetValue(request.Model, out var model) || string.IsNullOrEmpty(model.Model))
            throw new ModelException($"no Replicate model is configured for '{request.Model}' (Wati:Models:Replicate:Models:{request.Model}:Model)");

        var (input, strategy) = await Translate(() => ReplicateInputs.BuildAsync(request, model, Options, client, cancellationToken));
        var prediction = await Translate(() => client.CreatePredictionAsync(model.Model, model.Version, input, Options.WaitSeconds, cancellationToken));
        logger.LogInformation("Replicate prediction {PredictionId} for {Model} created: {Status}", prediction.Id, request.Model, prediction.Status);

        try
        {
            prediction = await WaitForEndAsync(prediction, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CancelQuietlyAsync(prediction);
            throw;
        }
        catch (ModelException)
        {
            // We stop watching it: it must not go on running (and charging) unobserved.
            await CancelQuietlyAsync(prediction);
            throw;
        }

        // Our configured name (predictions by version may name the model differently) and the version that ran.
        var modelId = $"{model.Model}:{prediction.Version ?? model.Version ?? "latest"}";
        var outputs = prediction.Status switch
        {
            ReplicateStatus.Succeeded => await ReplicateOutputs.DownloadAsync(prediction, client, cancellationToken),
            ReplicateStatus.Failed => throw Failed(prediction),
            ReplicateStatus.Aborted => throw new ModelException($"Replicate aborted prediction {prediction.Id} before it ran", isTransient: true),
            _ => throw new ModelException($"Replicate prediction {prediction.Id} was canceled"),
        };
        logger.LogInformation("Replicate prediction {PredictionId} succeeded with {Count} outputs", prediction.Id, outputs.Count);
        return new ModelResult(outputs, modelId, prediction.Id, strategy);
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
        foreach (var name in ModelNames.All)
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

    /// <summary>Polls until a terminal status; a null output while running only means "not yet".</summary>
    private async Task<ReplicatePrediction> WaitForEndAsync(ReplicatePrediction prediction, CancellationToken ct)
    {
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
                errors = 0;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
            catch (ReplicateException e) when (e.IsTransient)
            {
                // The prediction runs on regardless: wait as told and look again, not re-create it.
                if (++errors >= Options.MaxPollErrors)
                    throw new ModelException($"polling Replicate prediction {prediction.Id} failed {errors} times: {e.Message}",
                        isTransient: true, retryAfter: e.RetryAfter, inner: e);
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

    /// <summary>Replicate's answers as our failure kinds (see the class summary).</summary>
    private static async Task<T> Translate<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ReplicateException e) when (e.Status == 422)
        {
            throw new ModelException("Replicate rejected the input: " + e.Message, isInputError: true, inner: e);
        }
        catch (ReplicateException e)
        {
            throw new ModelException(e.Message, isTransient: e.IsTransient, retryAfter: e.RetryAfter, inner: e);
        }
    }
}
