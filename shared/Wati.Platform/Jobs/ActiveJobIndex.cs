using System.Text.Json;
using Wati.Platform.Data;

namespace Wati.Platform.Jobs;

/// <summary>One entry of the active-job index: a job that is being submitted, is queued or is running.</summary>
/// <param name="EnqueuedAt">When its message was last sent; null while the submit has not sent it yet.</param>
/// <param name="InputKeys">Object keys of the job's stored inputs (deleted with an abandoned submit).</param>
public sealed record ActiveJobEntry(string JobId, string UserId, string Model, DateTimeOffset CreatedAt, DateTimeOffset? EnqueuedAt,
    IReadOnlyList<string> InputKeys);

/// <summary>
/// The jobs that are not finished, in one partition of their own (table <c>activejobs</c>, partition
/// <c>active</c>, row = job id), so the sweeper finds them without scanning every user's partition. An
/// entry is written before the job's charge and removed after the job's final state is written; an
/// entry whose job is finished (the remover crashed) is removed by the sweeper. Its
/// <see cref="ActiveJobEntry.EnqueuedAt"/> is the durable "message sent" mark (docs/decisions/0005).
/// </summary>
public sealed class ActiveJobIndex(ITableStore store)
{
    /// <summary>Table of the index.</summary>
    public const string Table = "activejobs";

    private const string Partition = "active";

    /// <summary>Adds the entry of a job being submitted (message not yet sent). 409 <see cref="TableStoreException"/> if it exists.</summary>
    public Task AddAsync(string jobId, string userId, string model, DateTimeOffset createdAt, IEnumerable<string> inputKeys,
        CancellationToken ct) =>
        store.InsertAsync(Table, new TableEntity(Partition, jobId)
            .With("user_id", userId).With("model", model).With("created_at", createdAt).With("enqueued_at", null)
            .With("inputs", JsonSerializer.Serialize(inputKeys.ToList())), ct);

    /// <summary>Records that the job's message was sent at <paramref name="at"/>; false when the entry is gone.</summary>
    public async Task<bool> MarkEnqueuedAsync(string jobId, DateTimeOffset at, CancellationToken ct)
    {
        try
        {
            await store.MergeAsync(Table, new TableEntity(Partition, jobId).With("enqueued_at", at), "*", ct);
            return true;
        }
        catch (TableStoreException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>Removes the entry; nothing happens when it is already gone.</summary>
    public Task RemoveAsync(string jobId, CancellationToken ct) => store.DeleteAsync(Table, Partition, jobId, "*", ct);

    /// <summary>Every entry, oldest job id order, reading the partition page by page.</summary>
    public async IAsyncEnumerable<ActiveJobEntry> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        string? token = null;
        do
        {
            var page = await store.QueryAsync(Table, new TableQuery(Partition) { Take = 500, ContinuationToken = token }, ct);
            foreach (var e in page.Items)
                yield return new ActiveJobEntry(e.RowKey, e.GetString("user_id") ?? "", e.GetString("model") ?? "",
                    e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch, e.GetTime("enqueued_at"),
                    JsonSerializer.Deserialize<List<string>>(e.GetString("inputs") ?? "[]") ?? []);
            token = page.ContinuationToken;
        } while (token is not null);
    }
}
