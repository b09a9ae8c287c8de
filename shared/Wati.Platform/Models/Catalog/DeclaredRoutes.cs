using Wati.Platform.Http;
using Wati.Platform.Jobs;

namespace Wati.Platform.Models.Catalog;

/// <summary>
/// The own routes of models declared in settings with a <c>Route</c> other than <c>v1/models/{name}</c> (issue 18,
/// item 3). The static <see cref="RouteTable"/> cannot hold them (they are known only once configuration is read), so
/// each host asks this singleton: <c>server/</c> maps them beside the table, the Functions host's catch-all function
/// runs them, and the OpenAPI document adds them. Each is a <c>POST</c> documented and answered exactly as a code
/// model's own route (<see cref="JobRoutes"/>). A model on the generic route needs nothing here.
/// </summary>
public sealed class DeclaredRoutes
{
    /// <param name="catalog">The catalogue; its declared models with an own route get one route each.</param>
    public DeclaredRoutes(ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        All = [.. catalog.All.OfType<DeclaredModel>().Where(m => m.HasOwnRoute).Select(JobRoutes.ModelRoute)];
    }

    /// <summary>The routes, in catalogue order (none unless a declaration sets its own <c>Route</c>).</summary>
    public IReadOnlyList<RouteDef> All { get; }

    /// <summary>The route whose path is <paramref name="path"/> (a request path, leading slash or not, compared case-insensitively), or null.</summary>
    public RouteDef? Find(string? path)
    {
        var trimmed = (path ?? "").Trim('/');
        return All.FirstOrDefault(r => string.Equals(r.Template, trimmed, StringComparison.OrdinalIgnoreCase));
    }
}
