using System.ComponentModel;
using System.Text.Json;
using Wati.Platform.Data;

namespace Wati.Platform.Batches;

/// <summary>The body of <c>POST /v1/batches</c>.</summary>
public sealed class BatchBody
{
    [Description("gfpgan, replace-style, replace-background or iclight")]
    public string Model { get; init; } = "";

    [Description("1 to Wati:Batches:MaxItems (1000) items, each validated like a call of the model")]
    public List<BatchItemBody> Items { get; init; } = [];

    [Description("Optional https URL that receives batch.completed, signed (Wati-Signature); checked by the SSRF guard")]
    public string? WebhookUrl { get; init; }
}

/// <summary>One item: its image inputs by upload id, the model's parameters, and the caller's own reference.</summary>
public sealed class BatchItemBody
{
    [Description("Image field name (image, fg, bg, subject_image) to an upload id (upl_…)")]
    public Dictionary<string, string> Inputs { get; init; } = [];

    [Description("The model's form fields as JSON values (scale, version, style, prompt, …)")]
    public Dictionary<string, JsonElement> Params { get; init; } = [];

    [Description("The caller's reference for this item, at most 200 characters, echoed in items and the manifest")]
    public string? Ref { get; init; }
}

/// <summary>How many items are in each state.</summary>
public sealed record BatchCounts(int Queued, int Running, int Succeeded, int Failed, int Canceled)
{
    public int Total => Queued + Running + Succeeded + Failed + Canceled;
    [System.Text.Json.Serialization.JsonIgnore] public bool AllFinished => Queued + Running == 0;
}

/// <summary>A batch as answered: <c>state</c> running or completed, counts, and credits reserved, kept and given back.</summary>
public sealed record BatchView(string Id, string Model, string State, int ItemCount, BatchCounts Counts, long CreditsReserved,
    long CreditsCharged, long CreditsRefunded, bool Canceled, string StatusUrl, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>One item as answered: index, ref, state, its job, outputs with fresh URLs once succeeded, or its error.</summary>
public sealed record BatchItemView(int Index, string? Ref, string State, string? JobId, long Price,
    IReadOnlyList<Jobs.OutputView> Outputs, Jobs.JobErrorView? Error);

/// <summary>One output in the manifest.</summary>
public sealed record ManifestEntry(string? Ref, int Index, int OutputIndex, string Key, string Url, int ExpiresIn);

/// <summary>Every output of a batch in one document.</summary>
public sealed record BatchManifest(string BatchId, string State, IReadOnlyList<ManifestEntry> Outputs);

/// <summary>One validated item, as written to the spec blob and the item rows.</summary>
public sealed record BatchItemSpec(int Index, string? Ref, IReadOnlyDictionary<string, string> Inputs, JsonElement Params, long Price);

/// <summary>Item states of the feeder (a fed item's state after that is its job's).</summary>
public static class ItemStates
{
    public const string Pending = "pending";
    public const string Fed = "fed";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
}

/// <summary>
/// Rows of a batch in its owner's partition: <c>batch|{id}</c> (model, item count, total, whether all
/// items were written, canceled, state) and <c>batchitem|{id}|{index:D5}</c> per item.
/// </summary>
public static class BatchRows
{
    public const string RowPrefix = "batch|";
    public const string ItemPrefix = "batchitem|";

    public static string Row(string batchId) => RowPrefix + batchId;
    public static string ItemsPrefix(string batchId) => ItemPrefix + batchId + "|";
    public static string ItemRow(string batchId, int index) => ItemsPrefix(batchId) + index.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    public static TableEntity Item(string userId, string batchId, BatchItemSpec item) =>
        new TableEntity(userId, ItemRow(batchId, item.Index))
            .With("index", (long)item.Index).With("ref", item.Ref).With("inputs", JsonSerializer.Serialize(item.Inputs))
            .With("params", item.Params.GetRawText()).With("price", item.Price).With("state", ItemStates.Pending).With("job_id", null)
            .With("error", null);

    public static BatchItemSpec SpecOf(TableEntity row) => new((int)(row.GetInt64("index") ?? 0), row.GetString("ref"),
        JsonSerializer.Deserialize<Dictionary<string, string>>(row.GetString("inputs") ?? "{}") ?? [],
        JsonDocument.Parse(row.GetString("params") ?? "{}").RootElement.Clone(), row.GetInt64("price") ?? 0);
}
