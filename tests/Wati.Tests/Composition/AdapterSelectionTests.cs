using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Wati.Platform;
using Wati.Server;
using Microsoft.Extensions.DependencyInjection;
using Wati.Platform.Jobs.Queue;
using Wati.Platform.Storage.S3;
using Wati.Tests.Support;

namespace Wati.Tests.Composition;

/// <summary>
/// The real server on the production adapters (Azurite tables, s3rver objects), and the start-up checks
/// that stop a misconfigured host with a message naming the key.
/// </summary>
[Collection(Wati.Tests.Queue.AzuriteJobQueues.Name)]
public sealed class AdapterSelectionTests
{
    internal static Dictionary<string, string?> OnEmulators(string bucket) => new()
    {
        ["Wati:Tables:Provider"] = "azure",
        ["Wati:Tables:ConnectionString"] = Emulators.AzuriteTables,
        ["Wati:Storage:Provider"] = "s3",
        ["Wati:Storage:S3:ServiceUrl"] = Emulators.S3ServiceUrl,
        ["Wati:Storage:S3:Bucket"] = bucket,
        ["Wati:Storage:S3:AccessKey"] = "S3RVER",
        ["Wati:Storage:S3:SecretKey"] = "S3RVER",
        ["Wati:Storage:S3:ForcePathStyle"] = "true",
        // These tests are about the adapters, not /readyz's deadline: a cold SDK on a loaded machine may take seconds.
        ["Wati:Health:CheckTimeoutMilliseconds"] = "15000",
    };

    internal static async Task<string> NewBucketAsync()
    {
        var bucket = "b" + Guid.NewGuid().ToString("N");
        using var s3 = S3ObjectStore.CreateClient(new S3StorageOptions
        {
            ServiceUrl = Emulators.S3ServiceUrl, Bucket = bucket, AccessKey = "S3RVER", SecretKey = "S3RVER",
        });
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    [Fact]
    public async Task Server_on_azure_tables_and_s3_serves_accounts_and_keeps_no_tables_file()
    {
        using var app = new WatiAppFactory(OnEmulators(await NewBucketAsync()));
        var api = app.Api();

        var ready = (await api.GetAsync("/readyz")).Expect(200);
        var email = $"u{Guid.NewGuid():N}@example.test";
        var (user, _) = await api.NewUserAsync(email);
        var credits = (await user.GetAsync("/v1/credits")).Expect(200);

        Assert.Equal("ok", ready.Data.GetProperty("checks").GetProperty("tables").GetString());
        Assert.Equal("ok", ready.Data.GetProperty("checks").GetProperty("objects").GetString());
        Assert.Equal("10", credits.Data.GetProperty("balance").GetString());
        Assert.False(File.Exists(Path.Combine(app.DataDir, "tables.db")));
        var emailRow = await new Wati.Platform.Data.Azure.AzureTableStore(Emulators.TableService())
            .GetAsync("emails", email.ToLowerInvariant(), "user");
        Assert.NotNull(emailRow);
    }

    [Fact]
    public async Task Readiness_names_the_adapter_that_fails_and_the_missing_bucket()
    {
        var bucket = "missing" + Guid.NewGuid().ToString("N");
        var settings = OnEmulators(bucket);
        using var app = new WatiAppFactory(settings);

        var r = (await app.Api().GetAsync("/readyz")).Expect(503);

        Assert.Contains($"objects: the s3 object store: bucket '{bucket}' does not exist", r.Json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("ok", r.Json.GetProperty("error").GetProperty("details").GetProperty("checks").GetProperty("tables").GetString());
    }

    private static async Task<Dictionary<string, string?>> AzureProfileAsync()
    {
        var settings = OnEmulators(await NewBucketAsync());
        settings["Wati:Profile"] = "azure";
        settings.Remove("Wati:Tables:Provider");
        settings.Remove("Wati:Storage:Provider");
        settings["Wati:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        settings["Wati:PublicBaseUrl"] = "https://api.example.test";
        // The azure profile's queue is Storage Queues (Azurite here); its model provider, Replicate, is
        // covered by its own suite, so these tests keep the local models.
        settings["Wati:Queue:Storage:ConnectionString"] = Emulators.AzuriteQueues;
        settings["Wati:Models:Provider"] = "local";
        return settings;
    }

    [Fact]
    public async Task Azure_profile_starts_on_its_adapters_when_every_key_is_set()
    {
        using var app = new WatiAppFactory(await AzureProfileAsync());

        var ready = (await app.Api().GetAsync("/readyz")).Expect(200);

        Assert.Equal("ok", ready.Data.GetProperty("checks").GetProperty("tables").GetString());
        Assert.Equal("ok", ready.Data.GetProperty("checks").GetProperty("objects").GetString());
        Assert.Equal("ok", ready.Data.GetProperty("checks").GetProperty("queue").GetString());
        Assert.IsType<StorageJobQueue>(app.Services.GetRequiredService<IJobQueueProducer>());
        Assert.False(File.Exists(Path.Combine(app.DataDir, "tables.db")));
        Assert.False(File.Exists(Path.Combine(app.DataDir, "queue.db")));
        Assert.False(File.Exists(Path.Combine(app.DataDir, "jwt-signing.key")));
    }

    [Theory]
    [InlineData("Wati:Auth:SigningKey", "Wati:Auth:SigningKey is required in the azure profile")]
    [InlineData("Wati:PublicBaseUrl", "Wati:PublicBaseUrl is required in the azure profile")]
    [InlineData("Wati:Tables:ConnectionString", "Wati:Tables:ConnectionString or Wati:Tables:Endpoint is required")]
    [InlineData("Wati:Storage:S3:ServiceUrl", "Wati:Storage:S3:ServiceUrl must be an absolute http(s) URL")]
    [InlineData("Wati:Storage:S3:Bucket", "Wati:Storage:S3:Bucket is required")]
    [InlineData("Wati:Storage:S3:AccessKey", "Wati:Storage:S3:AccessKey is required")]
    [InlineData("Wati:Storage:S3:SecretKey", "Wati:Storage:S3:SecretKey is required")]
    [InlineData("Wati:Queue:Storage:ConnectionString", "Wati:Queue:Storage:ConnectionString or Wati:Queue:Storage:Endpoint is required")]
    public async Task Azure_profile_missing_a_key_does_not_start_and_names_it(string missing, string message)
    {
        var settings = await AzureProfileAsync();
        settings.Remove(missing);
        using var data = new TempDir();

        var e = await FailedStartAsync(settings, data.Path);

        Assert.True(AllMessages(e).Contains(message, StringComparison.Ordinal), $"wanted '{message}' in:\n{e}");
        Assert.False(File.Exists(Path.Combine(data.Path, "jwt-signing.key")));
    }

    [Fact]
    public async Task Azure_profile_with_filesystem_storage_needs_its_signing_key()
    {
        using var data = new TempDir();
        var e = await FailedStartAsync(new Dictionary<string, string?>
        {
            ["Wati:Profile"] = "azure",
            ["Wati:Storage:Provider"] = "filesystem",
            ["Wati:Tables:Provider"] = "sqlite",
            ["Wati:Queue:Provider"] = "sqlite",
            ["Wati:Models:Provider"] = "local",
            ["Wati:Auth:SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Wati:PublicBaseUrl"] = "https://api.example.test",
        }, data.Path);

        Assert.Contains("Wati:Storage:SigningKey is required in the azure profile", AllMessages(e));
        Assert.DoesNotContain("Wati:Auth:SigningKey", AllMessages(e));
    }

    [Theory]
    [InlineData("Wati:Profile", "cloud")]
    [InlineData("Wati:Tables:Provider", "cosmos")]
    [InlineData("Wati:Storage:Provider", "gcs")]
    [InlineData("Wati:Queue:Provider", "servicebus")]
    [InlineData("Wati:Models:Provider", "remote")]
    public async Task Unknown_adapter_does_not_start_and_names_the_key(string key, string value)
    {
        using var data = new TempDir();
        var e = await FailedStartAsync(new Dictionary<string, string?> { [key] = value }, data.Path);

        Assert.Contains($"{key} '{value}'", AllMessages(e));
    }

    [Fact]
    public async Task Short_signing_key_does_not_start()
    {
        using var data = new TempDir();
        var e = await FailedStartAsync(new Dictionary<string, string?> { ["Wati:Auth:SigningKey"] = "too short" }, data.Path);

        Assert.Contains("Wati:Auth:SigningKey must be at least 32 bytes", AllMessages(e));
    }

    /// <summary>
    /// Composes and starts the server's host as <c>Program</c> does, with <paramref name="settings"/>, and
    /// answers why it did not start. A plain host, not WebApplicationFactory: when a start fails, the
    /// factory's own teardown can surface an ObjectDisposedException instead of the start's exception.
    /// </summary>
    private static async Task<Exception> FailedStartAsync(Dictionary<string, string?> settings, string dataDir)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["Wati:DataDir"] = dataDir });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddWatiPlatform(builder.Configuration);
            builder.Services.AddWatiServerHost();
            await using var app = builder.Build();
            app.MapWatiRoutes();
            await app.StartAsync();
            await app.StopAsync();
        }
        catch (Exception e)
        {
            return e;
        }
        throw new Xunit.Sdk.XunitException("the host started");
    }

    private static string AllMessages(Exception e)
    {
        var all = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            all.Add(x.Message);
            if (x is AggregateException a) all.AddRange(a.InnerExceptions.Select(AllMessages));
        }
        return string.Join("\n", all);
    }
}
