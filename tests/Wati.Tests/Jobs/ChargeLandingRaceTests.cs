using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Wati.Platform.Common;
using Wati.Platform.Data;
using Wati.Platform.Data.Sqlite;
using Wati.Platform.Jobs;
using Wati.Platform.Jobs.Queue;
using Wati.Tests.Support;

namespace Wati.Tests.Jobs;

/// <summary>
/// The job's message is enqueued just before the charge writes its row. A worker whose claim read
/// comes before that commit, and whose second look comes after it, must keep the message; it used to
/// drop it, leaving the job queued for ever (seen on Azure tables, where the window is a round trip).
/// </summary>
public sealed class ChargeLandingRaceTests : IClassFixture<ChargeLandingRaceTests.App>
{
    public sealed class App : WatiAppFactory
    {
        public StaleFirstJobRead Store { get; private set; } = null!;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s =>
            {
                s.RemoveAll<ITableStore>();
                s.AddSingleton<ITableStore>(sp => Store = new StaleFirstJobRead(
                    new SqliteTableStore(sp.GetRequiredService<IOptions<WatiOptions>>().Value.DataPath("tables.db"))));
                foreach (var worker in s.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(JobQueueWorker)).ToList())
                    s.Remove(worker);
            });
        }
    }

    /// <summary>Answers the next read of a job row as if the charge had not committed yet.</summary>
    public sealed class StaleFirstJobRead(ITableStore inner) : ITableStore
    {
        private int _armed;

        public void Arm() => Interlocked.Exchange(ref _armed, 1);

        public Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken = default) =>
            rowKey.StartsWith(JobRecord.RowPrefix, StringComparison.Ordinal) && Interlocked.Exchange(ref _armed, 0) == 1
                ? Task.FromResult<TableEntity?>(null)
                : inner.GetAsync(table, partitionKey, rowKey, cancellationToken);

        public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) => inner.InsertAsync(table, entity, cancellationToken);
        public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) => inner.UpsertAsync(table, entity, cancellationToken);
        public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) => inner.ReplaceAsync(table, entity, ifMatch, cancellationToken);
        public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) => inner.MergeAsync(table, entity, ifMatch, cancellationToken);
        public Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default) => inner.DeleteAsync(table, partitionKey, rowKey, ifMatch, cancellationToken);
        public Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(table, query, cancellationToken);
        public Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken = default) => inner.ExecuteBatchAsync(table, operations, cancellationToken);
    }

    private readonly App _app;

    public ChargeLandingRaceTests(App app) => _app = app;

    [Fact]
    public async Task AChargeLandingBetweenClaimAndSecondLookKeepsTheMessage()
    {
        var (user, _) = await _app.Api().NewUserAsync();
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(TinyImages.Png(4, 4));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(image, "image", "face.png");
        var r = (await user.SendAsync(HttpMethod.Post, "/v1/gfpgan", form, m => m.Headers.Add("Prefer", "respond-async"))).Expect(202);
        var jobId = r.Data.GetProperty("job_id").GetString()!;
        var queue = _app.Services.GetRequiredService<IJobQueue>();
        var lease = await queue.ReceiveAsync(JobSpecs.QueueOf("gfpgan"), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2));
        Assert.Equal(jobId, lease?.Message.JobId);

        _app.Store.Arm();
        var outcome = await _app.Services.GetRequiredService<JobProcessor>().ProcessAsync(lease!.Message, lastDelivery: false, CancellationToken.None);

        Assert.Equal(ProcessOutcome.RetryLater, outcome);
    }
}
