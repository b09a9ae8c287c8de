using System.Collections.Concurrent;
using System.Net;
using Amazon.Runtime;

namespace Wati.Tests.Storage;

/// <summary>
/// Gives the AWS SDK an HttpClient whose handler writes down every request's method, path and headers
/// (content headers included) before sending it on, or, with <c>answer</c>, answers it itself
/// without a network (for an endpoint that cannot exist here, such as R2's).
/// </summary>
internal sealed class RecordingHttpClientFactory(Func<HttpRequestMessage, HttpResponseMessage>? answer = null) : HttpClientFactory
{
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new Recorder(this, answer) { InnerHandler = new SocketsHttpHandler() });

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    private sealed class Recorder(RecordingHttpClientFactory owner, Func<HttpRequestMessage, HttpResponseMessage>? answer) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, values) in request.Headers) headers[name] = string.Join(",", values);
            if (request.Content is not null)
                foreach (var (name, values) in request.Content.Headers) headers[name] = string.Join(",", values);
            owner.Requests.Enqueue(new RecordedRequest(request.Method.Method, request.RequestUri!, headers));
            return answer is null ? base.SendAsync(request, cancellationToken) : Task.FromResult(answer(request));
        }
    }
}

internal sealed record RecordedRequest(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

internal static class S3Answers
{
    /// <summary>What an S3 server answers to a successful PUT: 200 with an ETag.</summary>
    public static HttpResponseMessage PutOk(HttpRequestMessage _)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"0123456789abcdef0123456789abcdef\"");
        return response;
    }
}
