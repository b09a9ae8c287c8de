using Microsoft.AspNetCore.Http;
using Wati.Platform.Http;
using Wati.Platform.Uploads;

namespace Wati.Platform.Manifest;

/// <summary>The public catalogue (<c>/v1/manifest</c>, <c>/v1/portraits</c>) and its admin curation.</summary>
public static class ManifestRoutes
{
    public static IEnumerable<RouteDef> All =>
    [
        new("ListPacks", "GET", "v1/manifest", RouteAuth.None, ListPacks),
        new("GetPack", "GET", "v1/manifest/{id}", RouteAuth.None, GetPack),
        new("ListPortraits", "GET", "v1/portraits", RouteAuth.None, ListPortraits),
        new("AdminCreatePack", "POST", "v1/admin/packs", RouteAuth.Admin, CreatePack),
        new("AdminDeletePack", "DELETE", "v1/admin/packs/{id}", RouteAuth.Admin, DeletePack),
        new("AdminCreatePortrait", "POST", "v1/admin/portraits", RouteAuth.Admin, CreatePortrait),
        new("AdminDeletePortrait", "DELETE", "v1/admin/portraits/{id}", RouteAuth.Admin, DeletePortrait),
    ];

    private static async Task<IResult> ListPacks(RequestContext rc)
    {
        var page = await rc.Service<ManifestService>().ListPacksAsync(rc.Query("category"), rc.Query("target"), rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static async Task<IResult> GetPack(RequestContext rc) =>
        rc.Ok(await rc.Service<ManifestService>().GetPackAsync(rc.Args["id"], rc.Cancellation));

    private static async Task<IResult> ListPortraits(RequestContext rc)
    {
        var page = await rc.Service<ManifestService>().ListPortraitsAsync(rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static async Task<IResult> CreatePack(RequestContext rc)
    {
        var draft = await ManifestInput.ReadPackAsync(await UploadForm.ReadAsync(rc), rc.Cancellation);
        var pack = await rc.Service<ManifestService>().CreatePackAsync(draft, rc.Cancellation);
        return rc.Created(pack, rc.AbsoluteUrl($"/v1/manifest/{pack.Id}"));
    }

    private static async Task<IResult> DeletePack(RequestContext rc) =>
        rc.Ok(await rc.Service<ManifestService>().DeletePackAsync(rc.Args["id"], rc.Cancellation));

    private static async Task<IResult> CreatePortrait(RequestContext rc)
    {
        var draft = await ManifestInput.ReadPortraitAsync(await UploadForm.ReadAsync(rc), rc.Cancellation);
        return rc.Created(await rc.Service<ManifestService>().CreatePortraitAsync(draft, rc.Cancellation));
    }

    private static async Task<IResult> DeletePortrait(RequestContext rc) =>
        rc.Ok(await rc.Service<ManifestService>().DeletePortraitAsync(rc.Args["id"], rc.Cancellation));
}
