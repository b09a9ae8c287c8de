using Wati.Platform.Data;

namespace Wati.Platform.Credits;

/// <summary>Credit rows in a user's partition of the <c>users</c> table (design section 6).</summary>
internal static class CreditRows
{
    public const string Account = "account";
    public const string LedgerPrefix = "ledger|";
    public const string LedgerIdPrefix = "led_";
    public const string ChargePrefix = "jobcharge|";

    public static string Charge(string jobId) => ChargePrefix + jobId;

    public static TableEntity NewAccount(string userId, long balance) => new TableEntity(userId, Account)
        .With("balance", balance).With("reserved", 0L).With("active_jobs", 0L);
}

/// <summary>The account row as read, with its ETag for the guarded write that follows.</summary>
internal sealed record AccountState(TableEntity Row)
{
    public long Balance => Row.GetInt64("balance") ?? 0;
    public long Reserved => Row.GetInt64("reserved") ?? 0;
    public long ActiveJobs => Row.GetInt64("active_jobs") ?? 0;

    public TableOperation Update(long balanceDelta, long reservedDelta, long activeDelta)
    {
        var next = Row.Clone()
            .With("balance", Balance + balanceDelta)
            .With("reserved", Math.Max(0, Reserved + reservedDelta))
            .With("active_jobs", Math.Max(0, ActiveJobs + activeDelta));
        return TableOperation.Replace(next, Row.ETag ?? "*");
    }
}

public sealed record CreditBalance(long Balance, long Reserved);

public sealed record LedgerEntry(string Id, string Kind, long Amount, long BalanceAfter, string? JobId, string Reason,
    DateTimeOffset CreatedAt);

public static class LedgerKinds
{
    public const string Grant = "grant";
    public const string Charge = "charge";
    public const string Refund = "refund";
}

/// <summary>The outcome of charging for a job; <see cref="AlreadyCharged"/> when this job id was charged before.</summary>
public sealed record ChargeResult(long Amount, long BalanceAfter, bool AlreadyCharged);
