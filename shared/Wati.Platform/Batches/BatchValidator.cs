using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Credits;
using Wati.Platform.Jobs;
using Wati.Platform.Models;
using Wati.Platform.Models.Catalog;
using Wati.Platform.Uploads;

namespace Wati.Platform.Batches;

/// <summary>
/// Validates a whole batch before anything is charged: every item's parameters by the model route's
/// own rules (its declared inputs, <see cref="JobSpecs.ReadAsync"/>), every input reference (the upload exists, its size
/// read without its bytes; an image under <c>params</c> is refused naming it), and the output size limit
/// where the input's size is known (an upload; a URL's is known only once fetched, so
/// <see cref="BatchFeeder"/> checks it again on the real image). Any invalid item refuses the batch: 400
/// VALIDATION_ERROR with <c>details.items[{index, code, message, details}]</c>.
/// </summary>
public sealed class BatchValidator(InputSources inputs, CreditsService credits, IOptions<UploadOptions> uploads,
    IOptions<BatchesOptions> options, IOptions<ModelsOptions> models, IOptions<Webhooks.WebhooksOptions> webhooks, ModelCatalog catalog,
    ILogger<BatchValidator> logger)
{
    private const int MaxListed = 100;

    /// <summary>The validated items in order, each with its price.</summary>
    /// <exception cref="ApiException">VALIDATION_ERROR for the batch's shape or naming every failing item (up to 100).</exception>
    public async Task<IReadOnlyList<BatchItemSpec>> ValidateAsync(string userId, BatchBody body, string requestId, CancellationToken ct)
    {
        var model = catalog.Get(catalog.CheckName(body.Model)!);
        var max = options.Value.MaxItems;
        if (body.Items.Count is 0 || body.Items.Count > max)
            throw ApiException.Validation($"a batch has 1 to {max} items", new { field = "items", count = body.Items.Count, max_items = max });
        if (body.WebhookUrl is not null)
        {
            var allow = webhooks.Value.AllowLoopback;
            await Webhooks.UrlGuard.ResolveAsync(Webhooks.UrlGuard.ParseUrl(body.WebhookUrl, "webhook_url", allow), "webhook_url", allow, ct);
        }

        var specs = new List<BatchItemSpec>(body.Items.Count);
        var failures = new List<object>();
        for (var i = 0; i < body.Items.Count; i++)
        {
            try
            {
                specs.Add(await ValidateItemAsync(userId, i, model, body.Items[i], requestId, ct));
            }
            catch (ApiException e) when (e.Code is not ErrorCode.InternalError)
            {
                if (failures.Count < MaxListed) failures.Add(new { index = i, code = e.Code.Wire(), message = e.Message, details = e.Details });
                else failures.Add(new { index = i });
            }
        }
        if (failures.Count > 0)
            throw ApiException.Validation($"{failures.Count} of {body.Items.Count} items are invalid; nothing was charged",
                new { invalid_count = failures.Count, items = failures.Take(MaxListed).ToList() });
        return specs;
    }

    private static ApiException ImageInParams(string field) =>
        ApiException.Validation($"params.{field}: {field} is an image; give it under inputs, not params",
            new { field = $"params.{field}", rule = "image_in_params", expected = $"inputs.{field}" });

    private async Task<BatchItemSpec> ValidateItemAsync(string userId, int index, ModelDefinition model, BatchItemBody item, string requestId,
        CancellationToken ct)
    {
        if (item.Ref is { Length: > 200 }) throw ApiException.Validation("ref is at most 200 characters", new { field = "ref" });
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in item.Params) values[name] = Text(value);
        foreach (var (field, reference) in item.Inputs) values[field] = reference;

        // An image field is only ever read from the item's inputs: a reference under params (issue 24, finding 9)
        // is refused naming it, never resolved.
        var form = UploadForm.FromValues(values, uploads.Value, logger, requestId,
            (field, value, token) => item.Inputs.ContainsKey(field)
                ? inputs.DescribeAsync(userId, field, value, token)
                : throw ImageInParams(field),
            inputs.DescribeStoredAsync);
        var spec = await JobSpecs.ReadAsync(model, form, ct);
        // Also when inputs names the same field: an image under params is never silently dropped.
        if (item.Params.Keys.FirstOrDefault(spec.Images.ContainsKey) is { } imageInParams) throw ImageInParams(imageInParams);
        // The id of a stored image (portrait_id) may stand under inputs too; it is kept with the params.
        var unknown = item.Inputs.Keys.Except(spec.Images.Keys).Except(model.Schema.ImageIds.Values.Select(i => i.Name)).ToList();
        if (unknown.Count > 0)
            throw ApiException.Validation($"{model.Name} takes no input named {string.Join(", ", unknown)}", new { fields = unknown });
        JobSpecs.CheckOutputLimits(spec, models.Value);
        // An image named by a stored image's id is not a reference: the feeder looks it up again from the params.
        var referenced = spec.Images.Keys.Where(item.Inputs.ContainsKey).ToDictionary(f => f, f => item.Inputs[f], StringComparer.Ordinal);
        return new BatchItemSpec(index, item.Ref, referenced, spec.ParamsJson, JobSpecs.PriceOf(spec, credits.Options));
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };
}
