using System.Text.Json;
using Wati.Platform.Jobs;
using Wati.Platform.Storage;

namespace Wati.Tests.Contract;

/// <summary>How a job is answered: presigned URLs only when they differ, meta built in one place.</summary>
public sealed class JobViewTests
{
    private sealed class Store(Func<string, SignedUrl> sign) : IObjectStore
    {
        public Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => Task.FromResult<StoredObject?>(null);
        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => Task.FromResult(false);
        public Task<SignedUrl> GetSignedUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken = default) => Task.FromResult(sign(key));
        public Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);
    }

    private static JobRecord Succeeded(string model, string parameters, params StoredOutput[] outputs) => new()
    {
        Id = "job_1", UserId = "usr_1", Model = model, State = JobStates.Succeeded,
        Params = JsonDocument.Parse(parameters).RootElement.Clone(), Inputs = new Dictionary<string, string>(),
        Outputs = outputs, Price = 1, CreatedAt = DateTimeOffset.UnixEpoch, ModelId = "zsxkib/ic-light:abc",
        PredictionId = "pred-abc123", Strategy = "upload-to-replicate",
    };

    private static string Json(object value) => JsonSerializer.Serialize(value, Wati.Envelope.WatiJson.Options);

    [Fact]
    public async Task APublicUrlThatDiffersAlsoAnswersThePresignedOne()
    {
        var job = Succeeded("gfpgan", """{"scale":2,"version":"1.4"}""", new StoredOutput(0, "gfpgan/s2-v1.4/job_1.jpg", "image/jpeg", 64, 48, 2048));
        var differs = await JobView.CreateAsync(job, new Store(k => new SignedUrl("https://pub.example.com/" + k, 3600, "https://r2.example.com/" + k + "?sig=x")),
            TimeSpan.FromHours(1), "http://h", "req_1", default);
        Assert.Contains("\"presigned_url\":\"https://r2.example.com/gfpgan/s2-v1.4/job_1.jpg?sig=x\"", Json(differs.ToOutputData()));

        var same = await JobView.CreateAsync(job, new Store(k => new SignedUrl("https://r2.example.com/" + k, 3600, "https://r2.example.com/" + k)),
            TimeSpan.FromHours(1), "http://h", "req_1", default);
        Assert.DoesNotContain("presigned_url", Json(same.ToOutputData()));
        Assert.Equal(2048, JsonSerializer.SerializeToElement(same.Meta).GetProperty("bytes").GetInt32());
    }

    [Fact]
    public void IcLightMetaNamesWhatRanItAndTheReplicatePredictionWhenThereIsOne()
    {
        var job = Succeeded("iclight", """{"prompt":"p","light_source":"Left Light","steps":25,"cfg":7,"width":512,"height":640,"number_of_images":2,"output_format":"webp"}""",
            new StoredOutput(0, "portraits/iclight/job_1-0.webp", "image/webp", 512, 640, 10), new StoredOutput(1, "portraits/iclight/job_1-1.webp", "image/webp", 512, 640, 10));
        var meta = JsonSerializer.SerializeToElement(JobMeta.For(job, "req_1").ToDictionary());
        Assert.Equal(("zsxkib/ic-light:abc", "pred-abc123", "upload-to-replicate"),
            (meta.GetProperty("model").GetString(), meta.GetProperty("replicate_prediction_id").GetString(), meta.GetProperty("strategy").GetString()));
        Assert.Equal((7.0, 2), (meta.GetProperty("cfg").GetDouble(), meta.GetProperty("number_of_images").GetInt32()));
    }
}
