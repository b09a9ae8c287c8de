using System.Net;
using System.Net.Sockets;
using Azure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Data;
using Wati.Platform.Http;
using Wati.Tests.Support;

namespace Wati.Tests.Health;

/// <summary>
/// A request that needs an adapter that is down answers 503 <c>INTERNAL_ERROR</c> with
/// <c>details.retryable</c> and <c>Retry-After</c>, not a bare 500 (issue 17: <c>GET /v1/jobs/{id}</c>
/// answered 500 during a table outage). The failure is the one the Azure SDK really throws when the
/// table endpoint refuses connections: a client pointed at a loopback port nobody listens on.
/// </summary>
public sealed class UnavailableAdapterTests
{
    private sealed class App : WatiAppFactory
    {
        public DownTableStore Store => (DownTableStore)Services.GetRequiredService<ITableStore>();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.Decorate<ITableStore>(inner => new DownTableStore(inner)));
        }
    }

    /// <summary>What Azure.Data.Tables throws for a point read when nothing listens at its endpoint, after its retries.</summary>
    private static async Task<Exception> RefusedConnectionAsync(int maxRetries)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new Azure.Data.Tables.TableClientOptions();
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        var client = new Azure.Data.Tables.TableClient(new Uri($"http://127.0.0.1:{port}/devstoreaccount1"), "users",
            new Azure.Data.Tables.TableSharedKeyCredential("devstoreaccount1", Convert.ToBase64String(new byte[64])), options);
        return await Assert.ThrowsAnyAsync<Exception>(() => client.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("pk", "rk"));
    }

    [Fact]
    public async Task Get_job_with_the_table_store_down_is_503_retryable_with_Retry_After()
    {
        using var app = new App();
        var (user, _) = await app.Api().NewUserAsync();
        app.Store.Down = await RefusedConnectionAsync(maxRetries: 1);

        var r = (await user.GetAsync("/v1/jobs/job_0123456789abcdef")).Expect(503, "INTERNAL_ERROR");

        Assert.True(r.Json.GetProperty("error").GetProperty("details").GetProperty("retryable").GetBoolean());
        Assert.Equal(ErrorTranslator.UnavailableRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Headers.GetValues("Retry-After").Single());
        Assert.DoesNotContain("127.0.0.1", r.Body);
    }

    [Fact]
    public async Task The_Azure_SDKs_refused_connection_is_unavailable_with_and_without_retries()
    {
        var once = await RefusedConnectionAsync(maxRetries: 0);
        var retried = await RefusedConnectionAsync(maxRetries: 1);

        Assert.True(ErrorTranslator.IsUnavailable(once), once.GetType().Name + ": " + once.Message);
        Assert.True(ErrorTranslator.IsUnavailable(retried), retried.GetType().Name + ": " + retried.Message);
    }

    public static TheoryData<string, Exception, bool> Failures() => new()
    {
        { "Azure 503 ServerBusy", new RequestFailedException(503, "busy", "ServerBusy", null), true },
        { "Azure 500 OperationTimedOut", new RequestFailedException(500, "timed out", "OperationTimedOut", null), true },
        { "Azure 404", new RequestFailedException(404, "missing", "ResourceNotFound", null), false },
        { "Azure 403", new RequestFailedException(403, "denied", "AuthorizationPermissionMismatch", null), false },
        { "Azure 400 InvalidInput", new RequestFailedException(400, "bad", "InvalidInput", null), false },
        { "table port 503", new TableStoreException(503, "scripted"), true },
        { "table port 409", new TableStoreException(409, "conflict"), false },
        { "S3 503 SlowDown", new Amazon.S3.AmazonS3Exception("slow down") { StatusCode = HttpStatusCode.ServiceUnavailable }, true },
        { "S3 404", new Amazon.S3.AmazonS3Exception("no such key") { StatusCode = HttpStatusCode.NotFound }, false },
        { "S3 transport", new Amazon.Runtime.AmazonClientException("send failed", new HttpRequestException("refused")), true },
        { "socket", new SocketException((int)SocketError.ConnectionRefused), true },
        { "SQLite busy", new SqliteException("database is locked", 5), true },
        { "SQLite cannot open", new SqliteException("unable to open database file", 14), true },
        { "SQLite constraint", new SqliteException("constraint failed", 19), false },
        { "all retries refused", new AggregateException(new RequestFailedException("refused"), new HttpRequestException("refused")), true },
        { "retries with a 404 among them", new AggregateException(new RequestFailedException("refused"), new RequestFailedException(404, "missing")), false },
        { "a bug", new InvalidOperationException("bug"), false },
        { "a null", new NullReferenceException(), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Unavailable_is_exactly_the_documented_set(string name, Exception failure, bool unavailable)
    {
        Assert.True(ErrorTranslator.IsUnavailable(failure) == unavailable, $"{name}: wanted {unavailable}");
    }

    /// <summary>A table store that, once <see cref="Down"/> is set, throws it from every call.</summary>
    private sealed class DownTableStore(ITableStore inner) : ITableStore
    {
        public Exception? Down { get; set; }

        private T Up<T>(T value) => Down is { } e ? throw e : value;

        public Task<TableEntity?> GetAsync(string table, string pk, string rk, CancellationToken ct = default) => Up(inner).GetAsync(table, pk, rk, ct);
        public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken ct = default) => Up(inner).InsertAsync(table, entity, ct);
        public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken ct = default) => Up(inner).UpsertAsync(table, entity, ct);
        public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken ct = default) => Up(inner).ReplaceAsync(table, entity, ifMatch, ct);
        public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken ct = default) => Up(inner).MergeAsync(table, entity, ifMatch, ct);
        public Task<bool> DeleteAsync(string table, string pk, string rk, string ifMatch = "*", CancellationToken ct = default) => Up(inner).DeleteAsync(table, pk, rk, ifMatch, ct);
        public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken ct = default) => Up(inner).QueryAsync(table, query, ct);
        public Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken ct = default) => Up(inner).ExecuteBatchAsync(table, operations, ct);
    }
}
