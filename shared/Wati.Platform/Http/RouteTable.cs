namespace Wati.Platform.Http;

/// <summary>
/// Every HTTP route of the platform. The ASP.NET Core host maps this list in one loop; each Azure
/// function calls one entry by name, and a test holds the two in step.
/// </summary>
public static class RouteTable
{
    public static IReadOnlyList<RouteDef> All { get; } =
    [
        .. Health.HealthRoutes.All,
        .. Auth.AuthRoutes.All,
        .. Users.UserRoutes.All,
        .. Credits.CreditRoutes.All,
        .. Jobs.JobRoutes.All,
        .. Models.Catalog.ModelRoutes.All,
        .. Jobs.JobAdminRoutes.All,
        .. Metrics.MetricsRoutes.All,
        .. Uploads.UploadRoutes.All,
        .. Batches.BatchRoutes.All,
        .. Webhooks.WebhookRoutes.All,
        .. Storage.FileRoutes.All,
        .. Manifest.ManifestRoutes.All,
        .. OpenApi.ContractRoutes.All,
    ];

    public static RouteDef Get(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"no route named '{name}'");
}
