using Wati.Tests.Api;
using Wati.Tests.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Composition;

/// <summary>Image jobs end to end on Azure tables (Azurite) and S3 objects (s3rver): charged, run, downloadable.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class JobsOnEmulatorsTests
{
    private static readonly byte[] Photo = VipsTestImages.Photo(320, 240);

    [Fact]
    public async Task Jobs_run_and_their_outputs_download_through_presigned_urls()
    {
        var settings = AdapterSelectionTests.OnEmulators(await AdapterSelectionTests.NewBucketAsync());
        settings["Wati:Credits:SignupBonus"] = "100";
        using var app = new WatiAppFactory(settings);
        var (user, _) = await app.Api().NewUserAsync();

        foreach (var (path, field, value) in new[] { ("/v1/gfpgan", "scale", "2"), ("/v1/replace-style", "style", "anime"), ("/v1/gfpgan", "scale", "1") })
        {
            var r = (await user.SendAsync(HttpMethod.Post, path, JobsApiTests.Form(("image", Photo), (field, value)))).Expect(200);
            var url = r.Data.GetProperty("url").GetString()!;
            Assert.StartsWith(Emulators.S3ServiceUrl + "/", url, StringComparison.Ordinal);
            using var http = new HttpClient();
            var bytes = await http.GetByteArrayAsync(url);
            Assert.NotNull(Wati.Platform.Uploads.ImageProbe.TryProbe(bytes));
        }
    }
}
