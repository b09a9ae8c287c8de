using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Data;

namespace Wati.Platform.Credits;

/// <summary>Extra operations a caller adds to a money batch (e.g. the job row); null aborts the operation.</summary>
public delegate Task<IReadOnlyList<TableOperation>?> BatchExtras(CancellationToken ct);

/// <summary>
/// Balances and the ledger. Every change is one atomic batch on the user's partition: the account row
/// (guarded by its ETag), a ledger row, and for jobs a charge marker whose state makes charging,
/// settling and refunding idempotent per job id. The ledger's sum is always the balance.
/// </summary>
public sealed partial class CreditsService(ITableStore store, IIdGenerator ids, TimeProvider time, IOptions<CreditsOptions> options,
    KeyedLock locks)
{
    private const string Table = TableNames.Users;
    private const int MaxAttempts = 30;

    public CreditsOptions Options => options.Value;

    /// <summary>The rows of a new account: zero or the signup bonus, as a ledger grant.</summary>
    public IReadOnlyList<TableOperation> OpenAccountOperations(string userId, DateTimeOffset now)
    {
        var bonus = options.Value.SignupBonus;
        var ops = new List<TableOperation> { TableOperation.Insert(CreditRows.NewAccount(userId, bonus)) };
        if (bonus > 0) ops.Add(TableOperation.Insert(LedgerRow(userId, now, LedgerKinds.Grant, bonus, bonus, null, "signup bonus")));
        return ops;
    }

    public async Task<CreditBalance> GetBalanceAsync(string userId, CancellationToken ct)
    {
        var account = await ReadAccountAsync(userId, ct);
        return new CreditBalance(account.Balance, account.Reserved);
    }

    public async Task<Page<LedgerEntry>> GetLedgerAsync(string userId, PageRequest page, CancellationToken ct)
    {
        var rows = await TablePaging.ReadPageAsync(store, Table, TableQuery.Prefix(userId, CreditRows.LedgerPrefix), page, null, ct);
        return new Page<LedgerEntry>(rows.Items.Select(ToEntry).ToList(), rows.Total, page);
    }

    /// <summary>An admin grant, or with a negative amount a take-back; the balance never goes below zero.</summary>
    public Task<LedgerEntry> GrantAsync(string userId, long amount, string reason, CancellationToken ct) =>
        MutateAsync(userId, (account, _) =>
        {
            if (account.Balance + amount < 0)
                throw ApiException.Validation("the balance cannot go below zero",
                    new { balance = account.Balance, amount });
            var ledger = LedgerRow(userId, time.GetUtcNow(), LedgerKinds.Grant, amount, account.Balance + amount, null, reason);
            IReadOnlyList<TableOperation> ops = [account.Update(amount, 0, 0), TableOperation.Insert(ledger)];
            return Task.FromResult<(IReadOnlyList<TableOperation>?, LedgerEntry)>((ops, ToEntry(ledger)));
        }, ct);

    /// <summary>
    /// Charges <paramref name="amount"/> for a job and counts it as active. Idempotent per job id: a second
    /// call answers the first charge. 402 when the balance is short, 429 when the user already has
    /// <paramref name="maxActive"/> active jobs. <paramref name="extraOps"/> (the job row) commit with the charge.
    /// </summary>
    public Task<ChargeResult> ChargeJobAsync(string userId, string jobId, long amount, string reason, int? maxActive,
        IReadOnlyList<TableOperation>? extraOps, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        return MutateAsync(userId, async (account, token) =>
        {
            if (await store.GetAsync(Table, userId, CreditRows.Charge(jobId), token) is { } marker)
                return (null, new ChargeResult(marker.GetInt64("amount") ?? 0, account.Balance, AlreadyCharged: true));
            if (maxActive is { } max && account.ActiveJobs >= max)
                throw new ApiException(ErrorCode.RateLimitExceeded,
                    $"at most {max} jobs may be queued or running at once; wait for one to finish",
                    new { active_jobs = (int)account.ActiveJobs, limit = max }) { RetryAfterSeconds = 2 };
            if (account.Balance < amount)
                throw new ApiException(ErrorCode.InsufficientBalance, "not enough credits for this call",
                    new { balance = account.Balance, price = amount });

            var now = time.GetUtcNow();
            var ops = new List<TableOperation>
            {
                account.Update(-amount, amount, 1),
                TableOperation.Insert(new TableEntity(userId, CreditRows.Charge(jobId))
                    .With("amount", amount).With("state", "held").With("created_at", now)),
                TableOperation.Insert(LedgerRow(userId, now, LedgerKinds.Charge, -amount, account.Balance - amount, jobId, reason)),
            };
            if (extraOps is not null) ops.AddRange(extraOps);
            return (ops, new ChargeResult(amount, account.Balance - amount, AlreadyCharged: false));
        }, ct);
    }

    /// <summary>The job finished and keeps its charge: release the hold. False when it was not held.</summary>
    public Task<bool> SettleJobAsync(string userId, string jobId, BatchExtras? extras, CancellationToken ct) =>
        ReleaseAsync(userId, jobId, refundReason: null, extras, ct);

    /// <summary>The job failed or was canceled: give the charge back, once. False when there is nothing to refund.</summary>
    public Task<bool> RefundJobAsync(string userId, string jobId, string reason, BatchExtras? extras, CancellationToken ct) =>
        ReleaseAsync(userId, jobId, reason, extras, ct);

    private Task<bool> ReleaseAsync(string userId, string jobId, string? refundReason, BatchExtras? extras, CancellationToken ct) =>
        MutateAsync(userId, async (account, token) =>
        {
            var marker = await store.GetAsync(Table, userId, CreditRows.Charge(jobId), token);
            if (marker is null || marker.GetString("state") != "held") return (null, false);
            var more = extras is null ? [] : await extras(token);
            if (more is null) return (null, false);

            var amount = marker.GetInt64("amount") ?? 0;
            var refund = refundReason is not null;
            var next = marker.Clone().With("state", refund ? "refunded" : "settled").With("released_at", time.GetUtcNow());
            var ops = new List<TableOperation>
            {
                account.Update(refund ? amount : 0, -amount, -1),
                TableOperation.Replace(next, marker.ETag ?? "*"),
            };
            if (refund)
                ops.Add(TableOperation.Insert(LedgerRow(userId, time.GetUtcNow(), LedgerKinds.Refund, amount,
                    account.Balance + amount, jobId, refundReason!)));
            ops.AddRange(more);
            return (ops, true);
        }, ct);

    /// <summary>
    /// Read the account, plan a batch, write it guarded by ETags; on a conflict re-read and re-plan, so
    /// every check (balance, limits, marker state) is made against what the write replaces.
    /// </summary>
    private async Task<T> MutateAsync<T>(string userId,
        Func<AccountState, CancellationToken, Task<(IReadOnlyList<TableOperation>? Ops, T Result)>> plan, CancellationToken ct)
    {
        using var _ = await locks.AcquireAsync(userId, ct);
        for (var attempt = 1; ; attempt++)
        {
            var account = await ReadAccountAsync(userId, ct);
            var (ops, result) = await plan(account, ct);
            if (ops is null) return result;
            try
            {
                await store.ExecuteBatchAsync(Table, ops, ct);
                return result;
            }
            // 412: someone changed the account; re-plan. 409: an insert collided; re-planning sees the
            // other writer's marker, and a collision that persists belongs to the caller's extra rows.
            catch (TableStoreException e) when ((e.IsPreconditionFailed && attempt < MaxAttempts) || (e.IsConflict && attempt < 3))
            {
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct);
            }
        }
    }

    private async Task<AccountState> ReadAccountAsync(string userId, CancellationToken ct) =>
        new(await store.GetAsync(Table, userId, CreditRows.Account, ct) ?? throw ApiException.NotFound("account"));

    private TableEntity LedgerRow(string userId, DateTimeOffset now, string kind, long amount, long balanceAfter,
        string? jobId, string reason) =>
        new TableEntity(userId, CreditRows.LedgerPrefix + ids.NewDescendingId(now))
            .With("kind", kind).With("amount", amount).With("balance_after", balanceAfter)
            .With("job_id", jobId).With("reason", reason).With("created_at", now);

    // Like every other id, a ledger entry's carries its type (led_); the row key keeps the bare sortable part.
    private static LedgerEntry ToEntry(TableEntity e) => new(
        CreditRows.LedgerIdPrefix + e.RowKey[CreditRows.LedgerPrefix.Length..], e.GetString("kind") ?? "", e.GetInt64("amount") ?? 0,
        e.GetInt64("balance_after") ?? 0, e.GetString("job_id"), e.GetString("reason") ?? "",
        e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch);
}
