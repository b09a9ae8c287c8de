using Wati.Envelope;
using Wati.Platform.Data;

namespace Wati.Platform.Credits;

/// <summary>What became of an attempt to charge one batch item out of its batch's hold.</summary>
public enum ItemChargeOutcome
{
    /// <summary>The item's share moved from the hold to a job charge marker; the job row was written with it.</summary>
    Charged,

    /// <summary>The user has the maximum of active jobs; nothing changed, try later.</summary>
    LimitReached,

    /// <summary>Nothing changed: the hold cannot cover the item (the batch was canceled) or the caller's extras declined.</summary>
    Declined,
}

// Batches (docs/decisions/0009-batches.md): a batch moves its whole price from the balance into a
// hold row (batchhold|{batch}) in one atomic batch, with one ledger charge. Feeding an item moves its
// share from the hold into an ordinary job charge marker (no ledger row: the money left the balance at
// the reservation), so settling and refunding a batch job is the single-job path. Shares that never
// become jobs (canceled, never fed, unusable input) go back to the balance from the hold, with a
// ledger refund. The account's "reserved" is hold remaining plus held job charges throughout.
public sealed partial class CreditsService
{
    private const string HoldPrefix = "batchhold|";

    /// <summary>The hold row of batch <paramref name="batchId"/>.</summary>
    public static string HoldRow(string batchId) => HoldPrefix + batchId;

    /// <summary>
    /// Reserves <paramref name="total"/> for batch <paramref name="batchId"/>: balance down, reserved up,
    /// a hold row, one ledger charge, and <paramref name="extraOps"/> (the batch row), all in one batch.
    /// Idempotent per batch id (false when it was already reserved). 402 INSUFFICIENT_BALANCE with the
    /// balance and price in details when the balance is short.
    /// </summary>
    public Task<bool> ReserveBatchAsync(string userId, string batchId, long total, string reason,
        IReadOnlyList<TableOperation> extraOps, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        return MutateAsync(userId, async (account, token) =>
        {
            if (await store.GetAsync(Table, userId, HoldRow(batchId), token) is not null) return (null, false);
            if (account.Balance < total)
                throw new ApiException(ErrorCode.InsufficientBalance, "not enough credits for this batch",
                    new { balance = account.Balance, price = total });
            var now = time.GetUtcNow();
            var ops = new List<TableOperation>
            {
                account.Update(-total, total, 0),
                TableOperation.Insert(new TableEntity(userId, HoldRow(batchId)).With("amount", total).With("remaining", total)
                    .With("created_at", now)),
                TableOperation.Insert(LedgerRow(userId, now, LedgerKinds.Charge, -total, account.Balance - total, batchId, reason)),
            };
            ops.AddRange(extraOps);
            return ((IReadOnlyList<TableOperation>?)ops, true);
        }, ct);
    }

    /// <summary>
    /// Charges job <paramref name="jobId"/> of a batch out of the batch's hold: hold remaining down by
    /// <paramref name="amount"/>, a held job charge marker (settled or refunded like any job's), one more
    /// active job, and the rows <paramref name="extras"/> plans (job row, item row; null declines), in one batch.
    /// </summary>
    public Task<ItemChargeOutcome> ChargeBatchItemAsync(string userId, string batchId, string jobId, long amount, int maxActive,
        BatchExtras extras, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        return MutateAsync(userId, async (account, token) =>
        {
            if (account.ActiveJobs >= maxActive) return (null, ItemChargeOutcome.LimitReached);
            var hold = await store.GetAsync(Table, userId, HoldRow(batchId), token);
            var remaining = hold?.GetInt64("remaining") ?? 0;
            if (hold is null || remaining < amount) return (null, ItemChargeOutcome.Declined);
            var more = await extras(token);
            if (more is null) return (null, ItemChargeOutcome.Declined);

            var ops = new List<TableOperation>
            {
                account.Update(0, 0, 1),
                TableOperation.Replace(hold.Clone().With("remaining", remaining - amount), hold.ETag ?? "*"),
                TableOperation.Insert(new TableEntity(userId, CreditRows.Charge(jobId))
                    .With("amount", amount).With("state", "held").With("batch_id", batchId).With("created_at", time.GetUtcNow())),
            };
            ops.AddRange(more);
            return ((IReadOnlyList<TableOperation>?)ops, ItemChargeOutcome.Charged);
        }, ct);
    }

    /// <summary>
    /// Gives <paramref name="amount"/> of the batch's hold back to the balance (null: all that remains),
    /// with a ledger refund naming <paramref name="refundFor"/> (the batch or the item's reference), and
    /// the rows <paramref name="extras"/> plans (null declines). Answers the amount returned (0: nothing was).
    /// </summary>
    public Task<long> ReleaseBatchHoldAsync(string userId, string batchId, long? amount, string refundFor, string reason,
        BatchExtras? extras, CancellationToken ct) =>
        MutateAsync(userId, async (account, token) =>
        {
            var hold = await store.GetAsync(Table, userId, HoldRow(batchId), token);
            var remaining = hold?.GetInt64("remaining") ?? 0;
            var give = amount ?? remaining;
            if (hold is null || give > remaining) return (null, 0L);
            var more = extras is null ? [] : await extras(token);
            if (more is null) return (null, 0L);

            var ops = new List<TableOperation> { TableOperation.Replace(hold.Clone().With("remaining", remaining - give), hold.ETag ?? "*") };
            if (give > 0)
            {
                ops.Add(account.Update(give, -give, 0));
                ops.Add(TableOperation.Insert(LedgerRow(userId, time.GetUtcNow(), LedgerKinds.Refund, give, account.Balance + give,
                    refundFor, reason)));
            }
            ops.AddRange(more);
            return ((IReadOnlyList<TableOperation>?)ops, give);
        }, ct);

    /// <summary>What is left in batch <paramref name="batchId"/>'s hold; 0 when there is none.</summary>
    public async Task<long> HoldRemainingAsync(string userId, string batchId, CancellationToken ct) =>
        (await store.GetAsync(Table, userId, HoldRow(batchId), ct))?.GetInt64("remaining") ?? 0;
}

public sealed partial class CreditsService
{
    /// <summary>The user's queued or running jobs as the account counts them (the feeder's cheap look before it prepares an item).</summary>
    public async Task<long> ActiveJobsAsync(string userId, CancellationToken ct) => (await ReadAccountAsync(userId, ct)).ActiveJobs;
}
