using System.ComponentModel.DataAnnotations;

namespace Wati.Platform.Models.Replicate;

/// <summary>
/// <c>Wati:Models:Replicate</c>: how the <c>replicate</c> provider reaches Replicate's HTTP API
/// (https://replicate.com/docs/reference/http) and which Replicate model runs each of our models.
/// Defaults for every catalogue model (its definition's Replicate mapping) are filled in by <see cref="ReplicateDefaults"/>.
/// </summary>
public sealed class ReplicateOptions
{
    public const string Section = "Wati:Models:Replicate";

    /// <summary>API token (<c>r8_...</c>), sent as <c>Authorization: Bearer</c>; never logged. Required with the provider.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Absolute base address of the API; a fake server on loopback in tests. Written with or without the
    /// <c>/v1</c> the JavaScript client uses and with or without a trailing slash: all mean the same (<see cref="ApiRoot"/>).
    /// </summary>
    [Required] public string BaseUrl { get; set; } = "https://api.replicate.com";

    /// <summary>
    /// The address paths such as <c>v1/predictions</c> are resolved against: <paramref name="baseUrl"/> without
    /// trailing slashes and without a final <c>/v1</c>, ending in one slash. <c>https://api.replicate.com/v1</c>
    /// once made every call <c>/v1/v1/predictions</c> (issue 17).
    /// </summary>
    public static Uri ApiRoot(string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.Trim().TrimEnd('/');
        if (root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) root = root[..^3].TrimEnd('/');
        return new Uri(root + "/");
    }

    /// <summary>Seconds the create call asks Replicate to hold the request (<c>Prefer: wait=N</c>; Replicate allows 1..60).</summary>
    [Range(1, 60)] public int WaitSeconds { get; set; } = 60;

    /// <summary>
    /// Inputs up to this many bytes travel inline as <c>data:</c> URIs; larger ones are uploaded through
    /// <c>POST /v1/files</c> first (Replicate advises data URIs only for small files).
    /// </summary>
    [Range(0, 100 * 1024 * 1024)] public int DataUriMaxBytes { get; set; } = 256 * 1024;

    /// <summary>First delay between polls of <c>urls.get</c>, in ms; doubles per poll up to <see cref="PollMaxDelayMs"/>.</summary>
    [Range(1, 60_000)] public int PollInitialDelayMs { get; set; } = 500;

    /// <summary>Largest delay between polls, in ms.</summary>
    [Range(1, 300_000)] public int PollMaxDelayMs { get; set; } = 5_000;

    /// <summary>How long readiness waits for each model lookup, in ms (they run at once).</summary>
    [Range(100, 30_000)] public int ReadinessTimeoutMs { get; set; } = 1_500;

    /// <summary>Consecutive failed polls (429, 5xx, network) tolerated before the run is given up as transient.</summary>
    [Range(1, 100)] public int MaxPollErrors { get; set; } = 5;

    /// <summary>
    /// A <c>failed</c> prediction whose <c>error</c> contains one of these (case-insensitive) is the
    /// caller's fault (400, refunded, never retried); any other failure is the model's (500).
    /// </summary>
    public List<string> InputErrorMarkers { get; set; } = [];

    /// <summary>Per catalogue model name (<see cref="Catalog.ModelCatalog"/>): which Replicate model runs it and with which input names.</summary>
    public Dictionary<string, ReplicateModelOptions> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One of our models mapped onto a Replicate model.</summary>
public sealed class ReplicateModelOptions
{
    /// <summary><c>owner/name</c> on Replicate, e.g. <c>tencentarc/gfpgan</c>.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The model version id (64 hex characters). With one, predictions go to <c>POST /v1/predictions</c>;
    /// without, to <c>POST /v1/models/{owner}/{name}/predictions</c>, which Replicate offers for
    /// official models only (they always run their latest version).
    /// </summary>
    public string? Version { get; set; }

    /// <summary>
    /// Our input name (image fields <c>image</c>, <c>fg</c>, <c>bg</c>, <c>subject_image</c>; parameters such
    /// as <c>scale</c>, <c>prompt</c>) to the Replicate model's input name. Ours not listed, or mapped to an
    /// empty name, are not sent.
    /// </summary>
    public Dictionary<string, string> Inputs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Fixed values sent on every prediction, by the Replicate model's input name: a JSON number or boolean when the
    /// text parses as one (invariant culture), else the string (<see cref="Catalog.CatalogReplicateInputs.Literal"/>).
    /// A model declared in settings fills it from its <c>Replicate:Inputs</c> values that name none of its inputs.
    /// </summary>
    public Dictionary<string, string> Literals { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The <c>prompt</c> for models whose caller gives none (replace-style, replace-background);
    /// <c>{style}</c> is replaced by the requested style.
    /// </summary>
    public string? Prompt { get; set; }
}
