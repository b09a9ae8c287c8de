using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Envelope;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;
using Wati.Platform.Data.Sqlite;
using Wati.Tests.Support;

namespace Wati.Tests.Credits;

/// <summary>The credits service on SQLite; <see cref="AzureCreditsServiceTests"/> runs the same facts on Azurite.</summary>
public class CreditsServiceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITableStore _store;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public CreditsServiceTests() => _store = CreateStore();

    /// <summary>The backend under test; called once per test.</summary>
    protected virtual ITableStore CreateStore() => new SqliteTableStore(_dir.File("tables.db"));

    public void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    // Each service has its own in-process lock, so two of them on one store behave like two processes.
    private CreditsService NewService(long bonus = 10) => new(_store, new RandomIdGenerator(), _time,
        Options.Create(new CreditsOptions { SignupBonus = bonus }), new KeyedLock());

    private async Task<string> OpenAccountAsync(CreditsService credits)
    {
        var userId = "usr_" + Guid.NewGuid().ToString("N");
        await _store.ExecuteBatchAsync("users", credits.OpenAccountOperations(userId, _time.GetUtcNow()));
        return userId;
    }

    private async Task<List<LedgerEntry>> WholeLedgerAsync(CreditsService credits, string userId)
    {
        var all = new List<LedgerEntry>();
        for (var page = 1; ; page++)
        {
            var p = await credits.GetLedgerAsync(userId, new PageRequest(page, 100), default);
            all.AddRange(p.Items);
            if (p.Items.Count < 100) return all;
        }
    }

    [Fact]
    public async Task NewAccountHoldsTheSignupBonusAsALedgerGrant()
    {
        var credits = NewService(bonus: 25);
        var user = await OpenAccountAsync(credits);

        Assert.Equal(new CreditBalance(25, 0), await credits.GetBalanceAsync(user, default));
        var entry = Assert.Single(await WholeLedgerAsync(credits, user));
        Assert.Equal((LedgerKinds.Grant, 25L, 25L), (entry.Kind, entry.Amount, entry.BalanceAfter));
    }

    [Fact]
    public async Task ChargingTheSameJobTwiceChargesOnce()
    {
        var credits = NewService();
        var user = await OpenAccountAsync(credits);

        var first = await credits.ChargeJobAsync(user, "job_a", 3, "gfpgan", null, null, default);
        var second = await credits.ChargeJobAsync(user, "job_a", 3, "gfpgan", null, null, default);

        Assert.False(first.AlreadyCharged);
        Assert.True(second.AlreadyCharged);
        Assert.Equal(new CreditBalance(7, 3), await credits.GetBalanceAsync(user, default));
    }

    [Fact]
    public async Task RefundGivesTheChargeBackExactlyOnceAndNotAfterSettling()
    {
        var credits = NewService();
        var user = await OpenAccountAsync(credits);
        await credits.ChargeJobAsync(user, "job_r", 4, "x", null, null, default);
        await credits.ChargeJobAsync(user, "job_s", 2, "x", null, null, default);

        Assert.True(await credits.RefundJobAsync(user, "job_r", "failed", null, default));
        Assert.False(await credits.RefundJobAsync(user, "job_r", "failed again", null, default));
        Assert.True(await credits.SettleJobAsync(user, "job_s", null, default));
        Assert.False(await credits.RefundJobAsync(user, "job_s", "too late", null, default));
        Assert.False(await credits.RefundJobAsync(user, "never_charged", "x", null, default));

        Assert.Equal(new CreditBalance(8, 0), await credits.GetBalanceAsync(user, default));
        Assert.Equal(8, (await WholeLedgerAsync(credits, user)).Sum(e => e.Amount));
    }

    [Fact]
    public async Task ChargeOverTheBalanceIsRefusedWithNothingWritten()
    {
        var credits = NewService(bonus: 2);
        var user = await OpenAccountAsync(credits);

        var e = await Assert.ThrowsAsync<ApiException>(() => credits.ChargeJobAsync(user, "job_big", 3, "x", null, null, default));

        Assert.Equal(ErrorCode.InsufficientBalance, e.Code);
        Assert.Equal(new CreditBalance(2, 0), await credits.GetBalanceAsync(user, default));
        Assert.Single(await WholeLedgerAsync(credits, user));
        Assert.Null(await _store.GetAsync("users", user, "jobcharge|job_big"));
    }

    [Fact]
    public async Task ActiveJobLimitRefusesWith429UntilAJobIsReleased()
    {
        var credits = NewService();
        var user = await OpenAccountAsync(credits);
        await credits.ChargeJobAsync(user, "j1", 1, "x", 2, null, default);
        await credits.ChargeJobAsync(user, "j2", 1, "x", 2, null, default);

        var e = await Assert.ThrowsAsync<ApiException>(() => credits.ChargeJobAsync(user, "j3", 1, "x", 2, null, default));
        Assert.Equal(ErrorCode.RateLimitExceeded, e.Code);
        Assert.NotNull(e.RetryAfterSeconds);

        await credits.SettleJobAsync(user, "j1", null, default);
        await credits.ChargeJobAsync(user, "j3", 1, "x", 2, null, default);
        Assert.Equal(new CreditBalance(7, 2), await credits.GetBalanceAsync(user, default));
    }

    [Fact]
    public async Task ExtraOperationsCommitWithTheChargeOrNotAtAll()
    {
        var credits = NewService(bonus: 1);
        var user = await OpenAccountAsync(credits);
        var job = new TableEntity(user, "job|x1").With("state", "queued");

        await credits.ChargeJobAsync(user, "x1", 1, "x", null, [TableOperation.Insert(job)], default);
        await Assert.ThrowsAsync<ApiException>(() =>
            credits.ChargeJobAsync(user, "x2", 1, "x", null, [TableOperation.Insert(new TableEntity(user, "job|x2"))], default));

        Assert.NotNull(await _store.GetAsync("users", user, "job|x1"));
        Assert.Null(await _store.GetAsync("users", user, "job|x2"));
    }

    [Fact]
    public async Task HundredsOfParallelChargesAndRefundsFromTwoProcessesKeepMoneyExact()
    {
        const long start = 500;
        var processA = NewService(bonus: start);
        var processB = NewService(bonus: start);
        var user = _userForParallel = await OpenAccountAsync(processA);

        var charged = new ConcurrentDictionary<string, long>();
        var refunded = new ConcurrentDictionary<string, long>();
        var refused = 0;
        var tasks = Enumerable.Range(0, 300).Select(i => Task.Run(async () =>
        {
            var credits = i % 2 == 0 ? processA : processB;
            var other = i % 2 == 0 ? processB : processA;
            var jobId = $"job_{i}";
            long amount = 1 + i % 5;
            // Every job is submitted twice at once (a client retry): it must be charged at most once. The two
            // calls may see different balances (refunds land in between), so one may be refused alone.
            var results = await Task.WhenAll(TryCharge(credits, jobId, amount), TryCharge(other, jobId, amount));
            var fresh = results.Count(r => r is { AlreadyCharged: false });
            Assert.True(fresh <= 1, $"{jobId} charged {fresh} times");
            if (fresh == 0)
            {
                Assert.All(results, Assert.Null);
                Interlocked.Increment(ref refused);
                return;
            }
            charged[jobId] = amount;
            if (i % 3 == 0)
            {
                var twice = await Task.WhenAll(
                    credits.RefundJobAsync(user, jobId, "failed", null, default),
                    other.RefundJobAsync(user, jobId, "failed", null, default));
                Assert.Single(twice, r => r);
                refunded[jobId] = amount;
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var balance = await processA.GetBalanceAsync(user, default);
        var ledger = await WholeLedgerAsync(processA, user);
        var expected = start - charged.Values.Sum() + refunded.Values.Sum();

        Assert.True(refused > 0, "the test should run the balance out");
        Assert.Equal(expected, balance.Balance);
        Assert.Equal(balance.Balance, ledger.Sum(e => e.Amount));
        Assert.All(ledger, e => Assert.True(e.BalanceAfter >= 0));
        Assert.Equal(charged.Count, ledger.Count(e => e.Kind == LedgerKinds.Charge));
        Assert.Equal(refunded.Count, ledger.Count(e => e.Kind == LedgerKinds.Refund));
        Assert.Equal(charged.Values.Sum() - refunded.Values.Sum(), balance.Reserved);
    }

    private async Task<ChargeResult?> TryCharge(CreditsService credits, string jobId, long amount)
    {
        try
        {
            return await credits.ChargeJobAsync(_userForParallel!, jobId, amount, "parallel", null, null, default);
        }
        catch (ApiException e) when (e.Code == ErrorCode.InsufficientBalance)
        {
            return null;
        }
    }

    private string? _userForParallel;

    [Fact]
    public async Task AdminTakeBackCannotMakeTheBalanceNegative()
    {
        var credits = NewService(bonus: 5);
        var user = await OpenAccountAsync(credits);

        await credits.GrantAsync(user, 10, "top-up", default);
        var e = await Assert.ThrowsAsync<ApiException>(() => credits.GrantAsync(user, -16, "take back", default));
        await credits.GrantAsync(user, -15, "take back", default);

        Assert.Equal(ErrorCode.ValidationError, e.Code);
        Assert.Equal(0, (await credits.GetBalanceAsync(user, default)).Balance);
        Assert.Equal(0, (await WholeLedgerAsync(credits, user)).Sum(x => x.Amount));
    }
}
