namespace Wati.Platform.Data;

/// <summary>
/// The platform's tables (design section 6), named once. Table names are 3..63 letters and digits
/// (<see cref="TableStoreRules.ValidateTableName"/>); the Azure backend creates each of
/// <see cref="All"/> at start.
/// </summary>
public static class TableNames
{
    /// <summary>PK = user id: <c>profile</c>, <c>account</c>, <c>ledger|…</c>, <c>job|…</c> rows.</summary>
    public const string Users = "users";

    /// <summary>PK = normalized e-mail → user id (uniqueness).</summary>
    public const string Emails = "emails";

    /// <summary>PK = SHA-256 of an API key → user id, key id, revoked flag.</summary>
    public const string ApiKeys = "apikeys";

    /// <summary>PK = job id → user id (lookup for processors).</summary>
    public const string Jobs = "jobs";

    /// <summary>The public manifest's asset packs (<c>/v1/manifest</c>).</summary>
    public const string Packs = "packs";

    /// <summary>The public manifest's portraits (<c>/v1/portraits</c>).</summary>
    public const string Portraits = "portraits";

    /// <summary>
    /// PK = bucket key → per process and tally flush one row per route (<see cref="Metrics.UsageRows"/>), one row per
    /// finished job (<see cref="Metrics.UsageEvent"/>); plus the bucket index partition.
    /// </summary>
    public const string Usage = "usage";

    /// <summary>PK = day → published aggregates and each bucket's done mark (<see cref="Metrics.MetricsPublisher"/>).</summary>
    public const string Metrics = "metrics";

    /// <summary>Expiry index of uploads (<see cref="Uploads.UploadsService"/>).</summary>
    public const string Uploads = "uploads";

    /// <summary>PK = batch id → user id (lookup for the batch feeder).</summary>
    public const string Batches = "batches";

    public static IReadOnlyList<string> All { get; } = [Users, Emails, ApiKeys, Jobs, Packs, Portraits, Uploads, Batches, Usage, Metrics];
}
