using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>Balances, ledger, prices and admin grants. Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class CreditFunctions(HttpPipeline pipeline)
{
    [Function(nameof(GetCredits))]
    public Task<IResult> GetCredits([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/credits")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetCredits), request, ct);

    [Function(nameof(GetLedger))]
    public Task<IResult> GetLedger([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/credits/ledger")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetLedger), request, ct);

    [Function(nameof(GetPrices))]
    public Task<IResult> GetPrices([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/prices")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetPrices), request, ct);

    [Function(nameof(AdminGrantCredits))]
    public Task<IResult> AdminGrantCredits([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/admin/credits")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(AdminGrantCredits), request, ct);
}
