using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FakeReplicate;
using Wati.Tests.Composition;
using Wati.Tests.Queue;
using Wati.Tests.Support;
using Xunit.Abstractions;

namespace Wati.Tests.Api;

/// <summary>
/// <c>scripts/check-deployment.sh</c> passes against a fresh server on embedded defaults, names what fails,
/// and cleans up after itself even when interrupted (issue 17, Build 3 and "Done when").
/// </summary>
public sealed partial class DeploymentCheckTests(DeploymentCheckTests.EmbeddedServer embedded, ITestOutputHelper log)
    : IClassFixture<DeploymentCheckTests.EmbeddedServer>
{
    /// <summary>One built server on embedded defaults (its own data folder) for the runs of this class.</summary>
    public sealed class EmbeddedServer : IAsyncLifetime
    {
        private readonly TempDir _data = new();

        public DeploymentCheck.Server Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await DeploymentCheck.Server.StartAsync(DeploymentCheck.FreePort(),
            new Dictionary<string, string> { ["Wati__DataDir"] = _data.Path });

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            _data.Dispose();
        }
    }

    [Fact]
    public async Task Check_passes_every_step_on_embedded_defaults()
    {
        var run = await DeploymentCheck.RunAsync(embedded.Server.BaseUrl);
        log.WriteLine(run.ToString());

        AssertPassed(run);
    }

    [Fact]
    public async Task A_failing_step_is_named_with_its_reason_and_request_id_the_rest_still_runs_and_the_exit_code_is_1()
    {
        const string wrong = "not the admin's password 93c1";

        var run = await DeploymentCheck.RunAsync(embedded.Server.BaseUrl, wrong);
        log.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 1, run.ToString());
        var fail = Assert.Single(run.Lines, l => l.StartsWith("FAIL ", StringComparison.Ordinal));
        Assert.Matches(@"^FAIL admin log in: HTTP 401 UNAUTHENTICATED: .*\(req_[0-9a-f]+\)$", fail);
        Assert.Matches(@"^check-deployment: \d+ ok, 1 failed$", run.Lines[^1]);
        Assert.Contains(run.Lines, l => l.StartsWith("ok   gfpgan job: ", StringComparison.Ordinal));
        Assert.Contains(run.Lines, l => l.StartsWith("ok   cleanup: API key ", StringComparison.Ordinal));
        Assert.DoesNotContain(wrong, run.Output + run.Errors);
    }

    [Fact]
    public async Task An_interrupted_check_says_so_and_still_deletes_its_jobs_and_revokes_its_key()
    {
        var run = await DeploymentCheck.RunAsync(embedded.Server.BaseUrl, interruptAfter: "ok   gfpgan job: ");
        log.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("FAIL interrupted: stopped by a signal before the check finished (no request id)", run.Lines);
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"^ok   cleanup: [1-9]\d* job\(s\) deleted with their outputs$"));
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"^ok   cleanup: API key key_\w+ revoked and refused \(401\)$"));
        Assert.Matches(@"^check-deployment: \d+ ok, 1 failed$", run.Lines[^1]);
    }

    /// <summary>
    /// Every line is "ok   ..." but the verdict, which counts them; every step is there; no secret was
    /// printed (the admin password, an access token, an API key).
    /// </summary>
    internal static void AssertPassed(DeploymentCheck.Run run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        var verdict = Verdict().Match(run.Lines[^1]);
        Assert.True(verdict.Success, run.ToString());
        var steps = run.Lines.Take(run.Lines.Count - 1).ToList();
        Assert.All(steps, l => Assert.StartsWith("ok   ", l));
        Assert.Equal(steps.Count, int.Parse(verdict.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var step in DeploymentCheck.Steps)
            Assert.True(steps.Any(l => l.StartsWith("ok   " + step, StringComparison.Ordinal)), $"no ok line for '{step}':\n{run}");
        var printed = run.Output + run.Errors;
        Assert.DoesNotContain(DeploymentCheck.AdminPassword, printed);
        Assert.DoesNotContain("wati_", printed); // API keys (ApiKeyService.KeyPrefix)
        Assert.DoesNotContain("eyJ", printed);   // a JWT's base64url header
    }

    [GeneratedRegex(@"^check-deployment: (\d+) ok, 0 failed$")]
    private static partial Regex Verdict();
}

/// <summary>
/// <c>scripts/check-deployment.sh</c> passes against the server on the Azure adapters: the azure profile on
/// Azurite tables and queues, s3rver and the fake Replicate (issue 17, "Done when"). It shares Azurite's
/// <c>jobs-*</c> queues, so it runs apart from the other suites that do.
/// </summary>
[Collection(AzuriteJobQueues.Name)]
public sealed class DeploymentCheckOnAzureTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Check_passes_every_step_on_the_azure_profile_with_azurite_s3rver_and_the_fake_replicate()
    {
        using var data = new TempDir();
        await using var replicate = await FakeReplicateServer.StartAsync(token: "r8_check_deployment_token");
        var port = DeploymentCheck.FreePort();
        var settings = new Dictionary<string, string>
        {
            ["Wati__Profile"] = "azure",
            ["Wati__DataDir"] = data.Path,
            ["Wati__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Wati__Auth__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Wati__Tables__ConnectionString"] = Emulators.AzuriteTables,
            ["Wati__Queue__Storage__ConnectionString"] = Emulators.AzuriteQueues,
            ["Wati__Storage__S3__ServiceUrl"] = Emulators.S3ServiceUrl,
            ["Wati__Storage__S3__Bucket"] = await AdapterSelectionTests.NewBucketAsync(),
            ["Wati__Storage__S3__AccessKey"] = "S3RVER",
            ["Wati__Storage__S3__SecretKey"] = "S3RVER",
            ["Wati__Storage__S3__ForcePathStyle"] = "true",
            ["Wati__Models__Provider"] = "replicate",
            ["Wati__Models__Replicate__Token"] = replicate.Token,
            ["Wati__Models__Replicate__BaseUrl"] = replicate.BaseUrl,
            // The fake's predictions advance per poll, not with time: poll it often rather than back off to 5 s.
            ["Wati__Models__Replicate__PollInitialDelayMs"] = "50",
            ["Wati__Models__Replicate__PollMaxDelayMs"] = "200",
        };
        await using var server = await DeploymentCheck.Server.StartAsync(port, settings);

        var run = await DeploymentCheck.RunAsync(server.BaseUrl);
        log.WriteLine(run.ToString());

        DeploymentCheckTests.AssertPassed(run);
        // The four models ran at Replicate (the fake), not on local libvips: one prediction per job, six in all.
        var creates = replicate.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/predictions", StringComparison.Ordinal));
        Assert.True(creates == 6, $"{creates} predictions created\n{run}\n-- server --\n{server.Log}");
        Assert.DoesNotContain(replicate.Token, run.Output + run.Errors);
    }
}
