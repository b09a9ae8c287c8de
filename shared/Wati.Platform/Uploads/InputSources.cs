using Wati.Envelope;

namespace Wati.Platform.Uploads;

/// <summary>
/// Turns an input named by reference into an accepted <see cref="Upload"/>: an upload id of the caller
/// (<see cref="UploadsService"/>). Anything else is 400 VALIDATION_ERROR naming the field.
/// </summary>
public sealed class InputSources(UploadsService uploads)
{
    /// <summary>Resolves <paramref name="value"/> given for image field <paramref name="field"/> of <paramref name="userId"/>'s call.</summary>
    /// <exception cref="ApiException">VALIDATION_ERROR naming the field: unknown or expired upload, or an unsupported reference.</exception>
    public Task<Upload> ResolveAsync(string userId, string field, string value, CancellationToken ct)
    {
        if (UploadsService.LooksLikeId(value)) return uploads.LoadAsync(userId, field, value, ct);
        throw ApiException.Validation($"{field}: expected a file, an upload id (upl_…)", new { field });
    }

    /// <summary>Checks a reference without fetching its bytes (batch validation): the upload exists; its size is answered.</summary>
    public Task<Upload> DescribeAsync(string userId, string field, string value, CancellationToken ct)
    {
        if (UploadsService.LooksLikeId(value)) return uploads.DescribeAsync(userId, field, value, ct);
        throw ApiException.Validation($"{field}: expected an upload id (upl_…)", new { field });
    }
}
