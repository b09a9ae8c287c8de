using System.ComponentModel;
using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;
using Wati.Platform.Users;

namespace Wati.Platform.Credits;

/// <summary><c>/v1/credits</c>, <c>/v1/prices</c> and the admin grant.</summary>
public static class CreditRoutes
{
    /// <summary>The largest credit amount one admin grant may add or take back (10^12).</summary>
    public const long MaxGrant = 1_000_000_000_000;

    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("GetCredits", "GET", "v1/credits", RouteAuth.User, GetBalance)
        {
            Doc = new("The caller's balance and reserved credits") { Data = typeof(CreditBalance), Errors = [ErrorCode.NotFound] },
        },
        new("GetLedger", "GET", "v1/credits/ledger", RouteAuth.User, GetLedger)
        {
            Doc = new("The caller's ledger, newest first") { Shape = ResponseShape.List, Data = typeof(LedgerEntry), Paged = true },
        },
        new("GetPrices", "GET", "v1/prices", RouteAuth.None, GetPrices) { Doc = new("Credits per call (IC-Light: per image) of each model") { Data = typeof(ItemList<PriceDto>) } },
        new("AdminGrantCredits", "POST", "v1/admin/credits", RouteAuth.Admin, Grant)
        {
            Doc = new("Grant (or, negative, take back) credits") { JsonBody = typeof(GrantBody), Data = typeof(GrantDto), Errors = [ErrorCode.NotFound] },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(CreditsService Credits, UsersService Users, Models.Catalog.ModelCatalog Catalog);

    /// <summary>The body of <c>POST /v1/admin/credits</c>.</summary>
    public sealed class GrantBody
    {
        [Description("The user's id (usr_…); 404 NOT_FOUND when there is none")]
        public string UserId { get; init; } = "";

        [Description("int64, a number or a decimal string; not 0; negative takes credits back (never below a zero balance)")]
        public long Amount { get; init; }

        [Description("1 to 200 characters, shown in the user's ledger")]
        public string Reason { get; init; } = "";
    }

    /// <summary>What a model costs: per call, or for IC-Light per image.</summary>
    public sealed record PriceDto(string Model, long Credits, string Per);

    public sealed record GrantDto(string UserId, long Balance, LedgerEntry Entry);

    private static async Task<IResult> GetBalance(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Credits.GetBalanceAsync(rc.Caller.UserId, rc.Cancellation));

    private static async Task<IResult> GetLedger(RequestContext rc, Deps deps)
    {
        var page = await deps.Credits.GetLedgerAsync(rc.Caller.UserId, rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static Task<IResult> GetPrices(RequestContext rc, Deps deps)
    {
        var prices = deps.Credits.Options.Prices
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new PriceDto(p.Key, p.Value, Per(deps.Catalog.Find(p.Key))))
            .ToList();
        return Task.FromResult<IResult>(rc.Ok(new ItemList<PriceDto>(prices)));
    }

    /// <summary>The unit of a price as this route has always named it: <c>call</c>, <c>image</c> (per output) or <c>second</c>.</summary>
    private static string Per(Models.Catalog.ModelDefinition? model) => model?.Price.Per switch
    {
        Models.Catalog.PricePer.Output => "image",
        Models.Catalog.PricePer.Second => "second",
        _ => "call",
    };

    private static async Task<IResult> Grant(RequestContext rc, Deps deps)
    {
        var body = await rc.ReadJsonAsync<GrantBody>();
        if (body.Amount == 0) throw ApiException.Validation("amount must not be zero", new { field = "amount" });
        // A bound far above any real grant keeps balance arithmetic from overflowing.
        if (body.Amount is > MaxGrant or < -MaxGrant)
            throw ApiException.Validation($"amount must be between -{MaxGrant} and {MaxGrant}", new { field = "amount" });
        var reason = body.Reason.Trim();
        if (reason.Length is 0 or > 200) throw ApiException.Validation("reason must be 1 to 200 characters", new { field = "reason" });
        if (await deps.Users.FindAsync(body.UserId, rc.Cancellation) is null) throw ApiException.NotFound("user");

        var entry = await deps.Credits.GrantAsync(body.UserId, body.Amount, reason, rc.Cancellation);
        return rc.Ok(new GrantDto(body.UserId, entry.BalanceAfter, entry));
    }
}
