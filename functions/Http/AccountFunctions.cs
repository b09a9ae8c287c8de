using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Wati.Platform.Http;

namespace Wati.Functions.Http;

/// <summary>Auth, users and API keys. Each function hands its request to the shared pipeline under its route's name.</summary>
public sealed class AccountFunctions(HttpPipeline pipeline)
{
    [Function(nameof(Register))]
    public Task<IResult> Register([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/auth/register")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Register), request, ct);

    [Function(nameof(Login))]
    public Task<IResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/auth/login")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(Login), request, ct);

    [Function(nameof(GetMe))]
    public Task<IResult> GetMe([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/users/me")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(GetMe), request, ct);

    [Function(nameof(CreateApiKey))]
    public Task<IResult> CreateApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v1/api-keys")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(CreateApiKey), request, ct);

    [Function(nameof(ListApiKeys))]
    public Task<IResult> ListApiKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/api-keys")] HttpRequest request, CancellationToken ct) =>
        pipeline.RunAsync(nameof(ListApiKeys), request, ct);

    [Function(nameof(RevokeApiKey))]
    public Task<IResult> RevokeApiKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "v1/api-keys/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        pipeline.RunAsync(nameof(RevokeApiKey), request, ct, ("id", id));
}
