using System.Globalization;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Storage;

namespace Wati.Platform.Uploads;

/// <summary>An upload as answered: its id (<c>upl_…</c>), stored size in bytes, media type, pixel size and expiry.</summary>
public sealed record UploadView(string Id, long Bytes, string ContentType, int Width, int Height, DateTimeOffset ExpiresAt);

/// <summary>
/// Inputs that outlive one call (issue 12): an accepted, normalised image stored under
/// <c>uploads/{user}/{id}.{ext}</c>, its record in the owner's partition (<c>users</c>, row
/// <c>upload|{id}</c>, so only its owner can name it), and an expiry entry in table <c>uploads</c>
/// (partition <c>expiry</c>, row <c>{expiry ticks}|{user}|{id}</c>) that the sweeper reads in time order
/// without scanning users. Uploads expire after <see cref="UploadOptions.RetentionHours"/>.
/// Each user may hold <see cref="UploadOptions.MaxStoredUploadsPerUser"/> unexpired uploads of at most
/// <see cref="UploadOptions.MaxStoredBytesPerUser"/> bytes in all (issue 24, finding 5; <see cref="CheckQuotaAsync"/>).
/// </summary>
public sealed class UploadsService(ITableStore store, IObjectStore objects, IIdGenerator ids, TimeProvider time,
    IOptions<UploadOptions> options)
{
    /// <summary>Table of the expiry index.</summary>
    public const string ExpiryTable = "uploads";

    /// <summary>The prefix of upload ids, which is how a form value is recognised as one.</summary>
    public const string IdPrefix = "upl_";

    private const string ExpiryPartition = "expiry";
    private const string RowPrefix = "upload|";

    // One user's quota check and its writes run one at a time in this process (striped by user).
    private readonly SemaphoreSlim[] _quotaLocks = Enumerable.Range(0, 32).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>
    /// Stores accepted uploads for <paramref name="userId"/> within the user's quota (<see cref="CheckQuotaAsync"/>,
    /// all or nothing); the expiry entry is written first, so nothing stored is unswept.
    /// </summary>
    /// <exception cref="ApiException">413 or 429 when the uploads would go over the user's quota; nothing is stored.</exception>
    public async Task<IReadOnlyList<UploadView>> SaveAsync(string userId, IReadOnlyList<Upload> uploads, CancellationToken ct)
    {
        var quotaLock = _quotaLocks[(uint)StringComparer.Ordinal.GetHashCode(userId) % (uint)_quotaLocks.Length];
        await quotaLock.WaitAsync(ct);
        try
        {
            await CheckQuotaAsync(userId, uploads.Count, uploads.Sum(u => u.Bytes.LongLength), ct);
            return await StoreAsync(userId, uploads, ct);
        }
        finally
        {
            quotaLock.Release();
        }
    }

    /// <summary>
    /// Refuses <paramref name="adding"/> more uploads of <paramref name="addingBytes"/> bytes when the user's
    /// unexpired uploads would then be over <see cref="UploadOptions.MaxStoredUploadsPerUser"/> (429, Retry-After
    /// until the oldest expires) or <see cref="UploadOptions.MaxStoredBytesPerUser"/> (413). Usage is read
    /// from the user's upload records, so an expired or deleted upload stops counting at once, with no
    /// counter to drift. Exact within one process (<see cref="SaveAsync"/> serialises a user's saves);
    /// across processes two saves may both pass before either is written: the slack is one call's files
    /// per further process.
    /// </summary>
    /// <exception cref="ApiException">PAYLOAD_TOO_LARGE or RATE_LIMIT_EXCEEDED with the usage and the limit in details.</exception>
    public async Task CheckQuotaAsync(string userId, int adding, long addingBytes, CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        long count = 0, bytes = 0;
        DateTimeOffset? firstExpiry = null;
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync(TableNames.Users, TableQuery.Prefix(userId, RowPrefix) with { ContinuationToken = continuation }, ct);
            foreach (var row in page.Items)
            {
                if (row.GetTime("expires_at") is not { } expires || expires <= now) continue;
                count++;
                bytes += row.GetInt64("bytes") ?? 0;
                if (firstExpiry is null || expires < firstExpiry) firstExpiry = expires;
            }
            continuation = page.ContinuationToken;
        } while (continuation is not null);

        if (count + adding > o.MaxStoredUploadsPerUser)
        {
            var wait = firstExpiry is { } first ? Math.Max(1, (int)Math.Ceiling((first - now).TotalSeconds)) : 1;
            throw new ApiException(ErrorCode.RateLimitExceeded,
                $"you have {count} stored uploads; at most {o.MaxStoredUploadsPerUser} are kept at once (they expire after {o.RetentionHours} h)",
                new { reason = "upload_quota", stored_uploads = count, adding, max_stored_uploads = o.MaxStoredUploadsPerUser })
            {
                RetryAfterSeconds = wait,
            };
        }
        if (bytes + addingBytes > o.MaxStoredBytesPerUser)
            throw new ApiException(ErrorCode.PayloadTooLarge,
                $"your stored uploads would be {bytes + addingBytes} bytes; at most {o.MaxStoredBytesPerUser} bytes are kept at once (they expire after {o.RetentionHours} h)",
                new { reason = "upload_quota", stored_bytes = bytes, adding_bytes = addingBytes, max_stored_bytes = o.MaxStoredBytesPerUser });
    }

    private async Task<IReadOnlyList<UploadView>> StoreAsync(string userId, IReadOnlyList<Upload> uploads, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expires = now.AddHours(options.Value.RetentionHours);
        var views = new List<UploadView>(uploads.Count);
        foreach (var upload in uploads)
        {
            var id = ids.NewId("upl");
            var key = $"uploads/{userId}/{id}.{upload.Info.Extension}";
            await store.InsertAsync(ExpiryTable, new TableEntity(ExpiryPartition, ExpiryRow(expires, userId, id))
                .With("user_id", userId).With("key", key), ct);
            await objects.PutAsync(key, new MemoryStream(upload.Bytes, writable: false), upload.Info.ContentType, ct);
            await store.InsertAsync(TableNames.Users, new TableEntity(userId, RowPrefix + id)
                .With("key", key).With("format", upload.Info.Format.ToString()).With("width", (long)upload.Info.Width)
                .With("height", (long)upload.Info.Height).With("bytes", upload.Bytes.LongLength)
                .With("first_frame_only", upload.FirstFrameOnly).With("created_at", now).With("expires_at", expires), ct);
            views.Add(new UploadView(id, upload.Bytes.LongLength, upload.Info.ContentType, upload.Info.Width, upload.Info.Height, expires));
        }
        return views;
    }

    /// <summary>Whether <paramref name="value"/> is spelled like an upload id.</summary>
    public static bool LooksLikeId(string value) => value.StartsWith(IdPrefix, StringComparison.Ordinal) && IdRules.IsPlausible(value);

    /// <summary>
    /// The caller's upload <paramref name="uploadId"/> as an input of form field <paramref name="field"/>.
    /// 400 VALIDATION_ERROR naming the field when there is no such upload of this user, or it expired.
    /// </summary>
    public async Task<Upload> LoadAsync(string userId, string field, string uploadId, CancellationToken ct)
    {
        var row = await FindAsync(userId, uploadId, ct) ?? throw Unknown(field, uploadId);
        await using var stored = await objects.GetAsync(row.GetString("key")!, ct) ?? throw Unknown(field, uploadId);
        using var buffer = new MemoryStream();
        await stored.Content.CopyToAsync(buffer, ct);
        return new Upload(field, buffer.ToArray(), InfoOf(row), row.GetBool("first_frame_only") ?? false);
    }

    /// <summary>
    /// The upload's record as an <see cref="Upload"/> without its bytes (batch validation checks that it
    /// exists and reads its size). 400 VALIDATION_ERROR naming the field when it does not exist.
    /// </summary>
    public async Task<Upload> DescribeAsync(string userId, string field, string uploadId, CancellationToken ct)
    {
        var row = await FindAsync(userId, uploadId, ct) ?? throw Unknown(field, uploadId);
        return new Upload(field, [], InfoOf(row), row.GetBool("first_frame_only") ?? false);
    }

    private static ImageInfo InfoOf(TableEntity row) =>
        new(Enum.Parse<ImageFormat>(row.GetString("format")!), (int)(row.GetInt64("width") ?? 0), (int)(row.GetInt64("height") ?? 0));

    /// <summary>Deletes every upload whose expiry has passed; answers how many. Idempotent, safe to run anywhere.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var query = new TableQuery(ExpiryPartition) { RowKeyTo = ExpiryRow(time.GetUtcNow(), "", ""), Take = 500 };
        var removed = 0;
        foreach (var entry in (await store.QueryAsync(ExpiryTable, query, ct)).Items)
        {
            var parts = entry.RowKey.Split('|');
            await objects.DeleteAsync(entry.GetString("key") ?? "", ct);
            await store.DeleteAsync(TableNames.Users, parts[1], RowPrefix + parts[2], "*", ct);
            await store.DeleteAsync(ExpiryTable, ExpiryPartition, entry.RowKey, "*", ct);
            removed++;
        }
        return removed;
    }

    private async Task<TableEntity?> FindAsync(string userId, string uploadId, CancellationToken ct)
    {
        if (!LooksLikeId(uploadId)) return null;
        var row = await store.GetAsync(TableNames.Users, userId, RowPrefix + uploadId, ct);
        return row is not null && row.GetTime("expires_at") > time.GetUtcNow() ? row : null;
    }

    private static ApiException Unknown(string field, string uploadId) =>
        ApiException.Validation($"{field}: there is no upload {uploadId} of yours (uploads expire)", new { field, upload_id = uploadId });

    private static string ExpiryRow(DateTimeOffset at, string userId, string id) =>
        at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "|" + userId + "|" + id;
}
