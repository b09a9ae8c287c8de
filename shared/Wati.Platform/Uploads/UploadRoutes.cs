using Microsoft.AspNetCore.Http;
using Wati.Envelope;
using Wati.Platform.Http;

namespace Wati.Platform.Uploads;

/// <summary><c>POST /v1/uploads</c>: images stored for later calls and batches, named by their upload id.</summary>
public static class UploadRoutes
{
    public static IEnumerable<RouteDef<Deps>> All =>
    [
        new("CreateUploads", "POST", "v1/uploads", RouteAuth.User, Create)
        {
            Doc = new("Store one or more images for later calls and batches; each answers an upload id (upl_…)")
            {
                Description = "The same checks as the model routes: JPEG, PNG or WebP by their bytes (415), at most 10 MiB (413) " +
                              "and 40 MP (400), decoded completely and normalised. Uploads expire after Wati:Uploads:RetentionHours (24). " +
                              "Per user at most Wati:Uploads:MaxStoredUploadsPerUser (1,000) unexpired uploads (429) of " +
                              "Wati:Uploads:MaxStoredBytesPerUser (1 GiB) in all (413).",
                Form = [new("file", FieldKind.File, "An image; repeat the part for several") { Required = true }],
                Data = typeof(ItemList<UploadView>), SuccessStatus = 201, Errors = [ErrorCode.RateLimitExceeded],
            },
        },
    ];

    /// <summary>What these routes use.</summary>
    public sealed record Deps(UploadsService Uploads, UploadFormReader Forms);

    private static async Task<IResult> Create(RequestContext rc, Deps deps)
    {
        var max = deps.Forms.Options.MaxFilesPerCall;
        var form = await deps.Forms.ReadAsync(rc);
        // A user at the quota is refused before any file is decoded (SaveAsync checks again, exactly).
        await deps.Uploads.CheckQuotaAsync(rc.Caller.UserId, 1, 0, rc.Cancellation);
        var images = await form.ImageListAsync("file", max, rc.Cancellation);
        if (images.Count == 0) throw new ApiException(ErrorCode.MissingFiles, "missing file(s): file", new { fields = new[] { "file" } });
        var views = await deps.Uploads.SaveAsync(rc.Caller.UserId, images, rc.Cancellation);
        return rc.Created(new ItemList<UploadView>(views));
    }
}
