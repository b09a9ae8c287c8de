using System.Net.Http.Headers;
using Wati.Tests.Support;

namespace Wati.Tests.Jobs;

/// <summary>The submit most job tests start from: an async gfpgan call on a tiny PNG.</summary>
internal static class JobSubmits
{
    /// <summary>Submits with <c>Prefer: respond-async</c> and answers the raw response.</summary>
    public static async Task<ApiResponse> GfpganRawAsync(ApiClient user, int scale = 1)
    {
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(TinyImages.Png(4, 4));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "image", "face.png");
        form.Add(new StringContent(scale.ToString(System.Globalization.CultureInfo.InvariantCulture)), "scale");
        return await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", form, m => m.Headers.Add("Prefer", "respond-async"));
    }

    /// <summary>Submits, expects 202 with a queued job, and answers its id.</summary>
    public static async Task<string> GfpganAsync(ApiClient user, int scale = 1)
    {
        var r = (await GfpganRawAsync(user, scale)).Expect(202);
        Assert.Equal("queued", r.Data.GetProperty("state").GetString());
        return r.Data.GetProperty("job_id").GetString()!;
    }
}
