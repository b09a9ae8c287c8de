using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Storage.S3;
using Wati.Tests.Storage;

namespace Wati.Tests.Health;

/// <summary>
/// Readiness probes use only the data-plane permissions the template grants (design section 19, issue 17):
/// the queue probe reads its own queue's properties (Get Queue Metadata), never Get Queue Service
/// Properties, which Azure refuses to the app's managed identity with 403 AuthorizationPermissionMismatch
/// (Storage Queue Data Contributor has no <c>queueServices/read</c>); the S3 probe is <c>HeadBucket</c>
/// and names a missing bucket. Here on scripted transports that answer as Azure and S3 do; the
/// emulator suites (<see cref="ManagedIdentityReadinessTests"/>) hold the same on the strict layer.
/// </summary>
public sealed class ReadinessPermissionsTests
{
    /// <summary>Answers as Azure Storage does to the app's managed identity: 403 to any service-level call, else <paramref name="queueStatus"/>.</summary>
    private sealed class ManagedIdentityQueues(HttpStatusCode queueStatus) : HttpMessageHandler
    {
        public ConcurrentQueue<string> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            Requests.Enqueue($"{request.Method} {uri.PathAndQuery}");
            if (uri.Query.Contains("restype=service", StringComparison.OrdinalIgnoreCase))
                return Task.FromResult(Error(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch",
                    "This request is not authorized to perform this operation using this permission."));
            if (queueStatus == HttpStatusCode.NotFound)
                return Task.FromResult(Error(HttpStatusCode.NotFound, "QueueNotFound", "The specified queue does not exist."));
            var ok = new HttpResponseMessage(queueStatus) { Content = new ByteArrayContent([]) };
            ok.Headers.Add("x-ms-approximate-messages-count", "0");
            ok.Headers.Add("x-ms-request-id", Guid.NewGuid().ToString());
            ok.Headers.Add("x-ms-version", "2026-06-06");
            return Task.FromResult(ok);
        }

        private static HttpResponseMessage Error(HttpStatusCode status, string code, string message)
        {
            var body = $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>";
            var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/xml") };
            response.Headers.Add("x-ms-error-code", code);
            return response;
        }
    }

    private static StorageJobQueue QueueOver(HttpMessageHandler handler)
    {
        var options = StorageJobQueue.ClientOptions();
        options.Transport = new HttpClientTransport(new HttpClient(handler));
        options.Retry.MaxRetries = 0;
        var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
                         $"AccountKey={Convert.ToBase64String(new byte[64])};QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;";
        return new StorageJobQueue(new QueueServiceClient(connection, options), new QueueOptions(), new UndecodableMessages());
    }

    [Fact]
    public async Task Queue_probe_is_ready_under_a_managed_identity_that_may_not_read_service_properties()
    {
        var azure = new ManagedIdentityQueues(HttpStatusCode.OK);

        var ready = await QueueOver(azure).IsReadyAsync();

        Assert.True(ready, "requests: " + string.Join(", ", azure.Requests));
        Assert.DoesNotContain(azure.Requests, r => r.Contains("restype=service", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(azure.Requests, r => r.Contains("/jobs-", StringComparison.Ordinal) && r.Contains("comp=metadata", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Queue_probe_names_a_queue_that_does_not_exist()
    {
        var problem = await QueueOver(new ManagedIdentityQueues(HttpStatusCode.NotFound)).ProbeAsync("jobs-gfpgan");

        Assert.Equal("queue 'jobs-gfpgan' does not exist", problem);
    }

    private static S3ObjectStore S3Over(RecordingHttpClientFactory wire, string bucket)
    {
        var options = new S3StorageOptions
        {
            ServiceUrl = "http://127.0.0.1:9", Region = "auto", Bucket = bucket, AccessKey = "access", SecretKey = "secret", ForcePathStyle = true,
        };
        return new S3ObjectStore(S3ObjectStore.CreateClient(options, wire), options, TimeProvider.System);
    }

    [Fact]
    public async Task S3_probe_is_a_HeadBucket_on_the_configured_bucket()
    {
        var wire = new RecordingHttpClientFactory(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) });
        using var store = S3Over(wire, "wati-media");

        var problem = await store.ProbeAsync();

        Assert.Null(problem);
        var request = Assert.Single(wire.Requests);
        Assert.Equal("HEAD", request.Method);
        Assert.Equal("/wati-media", request.Uri.AbsolutePath.TrimEnd('/'));
    }

    [Fact]
    public async Task S3_probe_names_a_missing_bucket()
    {
        var wire = new RecordingHttpClientFactory(_ => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new ByteArrayContent([]) });
        using var store = S3Over(wire, "wati-media");

        var problem = await store.ProbeAsync();

        Assert.NotNull(problem);
        Assert.Contains("bucket 'wati-media' does not exist", problem);
        Assert.Contains("Wati:Storage:S3:Bucket", problem);
    }
}
