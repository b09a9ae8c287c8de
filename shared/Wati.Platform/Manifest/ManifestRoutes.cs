using Microsoft.AspNetCore.Http;
using Wati.Platform.Http;
using Wati.Platform.Uploads;

namespace Wati.Platform.Manifest;

/// <summary>The public catalogue (<c>/v1/manifest</c>, <c>/v1/portraits</c>) and its admin curation.</summary>
public static class ManifestRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("ListPacks", "GET", "v1/manifest", RouteAuth.None, ListPacks)
        {
            Doc = new("Asset packs, newest first") { Shape = ResponseShape.List, Data = typeof(AssetPack), Paged = true,
                Query = [new("category", "Only packs of this category"), new("target", "Only packs for this target")] },
        },
        new("GetPack", "GET", "v1/manifest/{id}", RouteAuth.None, GetPack) { Doc = new("One asset pack") { Data = typeof(AssetPack) } },
        new("ListPortraits", "GET", "v1/portraits", RouteAuth.None, ListPortraits)
        {
            Doc = new("Public portraits, newest first") { Shape = ResponseShape.List, Data = typeof(Portrait), Paged = true },
        },
        new("AdminCreatePack", "POST", "v1/admin/packs", RouteAuth.Admin, CreatePack)
        {
            Doc = new("Add an asset pack") { Data = typeof(AssetPack), SuccessStatus = 201, Form =
            [
                new("name", FieldKind.String, "Title") { Required = true, MaxLength = 100 },
                new("category", FieldKind.String, "Lowercase slug, e.g. backgrounds") { Required = true, MaxLength = 50 },
                new("target", FieldKind.String, "Lowercase slug, e.g. portraits") { Required = true, MaxLength = 50 },
                new("description", FieldKind.String, "Free text") { MaxLength = 1000, Default = "" },
                new("cover", FieldKind.File, "Cover image") { Required = true },
                new("assets", FieldKind.File, $"Asset images (repeat the field, at most {ManifestInput.MaxAssets})"),
            ] },
        },
        new("AdminDeletePack", "DELETE", "v1/admin/packs/{id}", RouteAuth.Admin, DeletePack) { Doc = new("Delete an asset pack") { Data = typeof(DeletedEntry) } },
        new("AdminCreatePortrait", "POST", "v1/admin/portraits", RouteAuth.Admin, CreatePortrait)
        {
            Doc = new("Add a public portrait") { Data = typeof(Portrait), SuccessStatus = 201, Form =
            [
                new("name", FieldKind.String, "Name") { Required = true, MaxLength = 100 },
                new("tags", FieldKind.String, $"Comma-separated, at most {ManifestInput.MaxTags} of {ManifestInput.MaxTagLength} characters") { MaxLength = 1000 },
                new("image", FieldKind.File, "The portrait") { Required = true },
            ] },
        },
        new("AdminDeletePortrait", "DELETE", "v1/admin/portraits/{id}", RouteAuth.Admin, DeletePortrait)
        {
            Doc = new("Delete a public portrait") { Data = typeof(DeletedEntry) },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(ManifestService Manifest, UploadFormReader Forms);

    private static async Task<IResult> ListPacks(RequestContext rc, Deps deps)
    {
        var page = await deps.Manifest.ListPacksAsync(rc.Query("category"), rc.Query("target"), rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static async Task<IResult> GetPack(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Manifest.GetPackAsync(rc.Args["id"], rc.Cancellation));

    private static async Task<IResult> ListPortraits(RequestContext rc, Deps deps)
    {
        var page = await deps.Manifest.ListPortraitsAsync(rc.Paging(), rc.Cancellation);
        return rc.List(page.Items, page.Pagination);
    }

    private static async Task<IResult> CreatePack(RequestContext rc, Deps deps)
    {
        var draft = await ManifestInput.ReadPackAsync(await deps.Forms.ReadAsync(rc), rc.Cancellation);
        var pack = await deps.Manifest.CreatePackAsync(draft, rc.Cancellation);
        return rc.Created(pack, rc.AbsoluteUrl($"/v1/manifest/{pack.Id}"));
    }

    private static async Task<IResult> DeletePack(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Manifest.DeletePackAsync(rc.Args["id"], rc.Cancellation));

    private static async Task<IResult> CreatePortrait(RequestContext rc, Deps deps)
    {
        var draft = await ManifestInput.ReadPortraitAsync(await deps.Forms.ReadAsync(rc), rc.Cancellation);
        return rc.Created(await deps.Manifest.CreatePortraitAsync(draft, rc.Cancellation));
    }

    private static async Task<IResult> DeletePortrait(RequestContext rc, Deps deps) =>
        rc.Ok(await deps.Manifest.DeletePortraitAsync(rc.Args["id"], rc.Cancellation));
}
