using FakeReplicate;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Models;
using Wati.Tests.Support;

namespace Wati.Tests.Models;

/// <summary>
/// How the replicate provider fails against the fake: input errors (never retried), failures, transient
/// answers that the model pipeline retries honouring Retry-After, cancellation reaching Replicate, and
/// the token kept out of every log line and message.
/// </summary>
public sealed class ReplicateFailureTests
{
    private static readonly byte[] Photo = TinyImages.Png(6, 4, seed: 5);

    [Fact]
    public async Task A422IsAnInputErrorAndThePipelineNeverRetriesIt()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Reject));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.True(e.IsInputError);
        Assert.False(e.IsTransient);
        Assert.Contains("invalid input", e.Message);
        Assert.Single(host.Creates);
    }

    [Fact]
    public async Task AFailedPredictionIsAModelFailureNotRetried()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Fail, PollsBeforeDone: 1, Error: "CUDA out of memory"));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.False(e.IsInputError);
        Assert.False(e.IsTransient);
        Assert.Contains("CUDA out of memory", e.Message);
        Assert.Single(host.Creates);
    }

    [Theory]
    [InlineData("Invalid input: the image could not be decoded")]
    [InlineData("No face detected in the image")]
    public async Task AFailedPredictionBlamingTheInputIsAnInputError(string error)
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Fail, Error: error));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));

        Assert.True(e.IsInputError);
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public async Task AnAbortedPredictionIsTransient()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Abort));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));

        Assert.True(e.IsTransient);
        Assert.False(e.IsInputError);
    }

    [Fact]
    public async Task A429IsTransientAndCarriesRetryAfter()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Throttle, RetryAfterSeconds: 7));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));

        Assert.True(e.IsTransient);
        Assert.False(e.IsInputError);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
    }

    [Fact]
    public async Task ThePipelineWaitsOutRetryAfterBeforeCreatingAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using var host = await ReplicateTestHost.StartAsync(time: time);
        host.Fake.Script(new FakeScenario(FakeOutcome.Throttle, RetryAfterSeconds: 7));

        var run = host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None);
        await Eventually(() => host.Creates.Count == 1);
        // Let the 429 reach the pipeline, so its retry timer starts at the fake clock's current time.
        await Task.Delay(300);
        time.Advance(TimeSpan.FromSeconds(6.9));
        await Task.Delay(200);
        Assert.Single(host.Creates);
        Assert.False(run.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(0.1));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, host.Creates.Count);
        Assert.Single(result.Outputs);
    }

    [Fact]
    public async Task A5xxIsTransientAndRetriedByThePipeline()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.ServerError));

        var direct = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));
        Assert.True(direct.IsTransient);
        Assert.Null(direct.RetryAfter);

        host.Fake.Script(new FakeScenario(FakeOutcome.ServerError));
        var result = await host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None);
        Assert.Equal(3, host.Creates.Count);
        Assert.Single(result.Outputs);
    }

    [Fact]
    public async Task AnOutputThat404sFailsTheRun()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(Outputs: 2, MissingOutput: 1));

        var e = await Assert.ThrowsAsync<ModelException>(() => host.Pipeline.RunAsync(ReplicateRequests.Gfpgan(Photo), CancellationToken.None));

        Assert.False(e.IsTransient);
        Assert.False(e.IsInputError);
        Assert.Contains("output 2 of 2", e.Message);
        Assert.Contains("404", e.Message);
        Assert.Single(host.Creates);
    }

    [Fact]
    public async Task AHangCanceledByTheDeadlineIsCanceledAtReplicate()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.Script(new FakeScenario(FakeOutcome.Hang));
        using var deadline = new CancellationTokenSource();

        var run = host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo), deadline.Token);
        // The deadline passes while the prediction is being polled (a create cut short has no id to cancel).
        await Eventually(() => host.Fake.Requests.Count(r => r.Method == "GET") >= 2);
        deadline.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        var id = Assert.Single(host.Fake.CancelRequests);
        Assert.True(host.Polls(id).Count >= 2);
        Assert.Equal("canceled", host.Fake.StatusOf(id));
        var cancel = Assert.Single(host.Fake.Requests, r => r.Path.EndsWith("/cancel", StringComparison.Ordinal));
        Assert.Equal(("POST", $"Bearer {ReplicateTestHost.Token}"), (cancel.Method, cancel.Authorization));
    }

    [Fact]
    public async Task AFinishedPredictionIsNotCanceled()
    {
        await using var host = await ReplicateTestHost.StartAsync();

        await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));

        Assert.Empty(host.Fake.CancelRequests);
    }

    [Fact]
    public async Task TheTokenAppearsInNoLogLineAndNoMessage()
    {
        await using var host = await ReplicateTestHost.StartAsync(fakeToken: "r8_some_other_token");
        var refused = await Assert.ThrowsAsync<ModelException>(() => host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));
        Assert.Contains("401", refused.Message);
        Assert.Equal("Replicate refused the configured token", await host.Provider.CheckAsync());

        await using var ok = await ReplicateTestHost.StartAsync();
        ok.Fake.Script(new FakeScenario(PollsBeforeDone: 2), new FakeScenario(FakeOutcome.Fail), new FakeScenario(FakeOutcome.Hang));
        await ok.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));
        var failed = await Assert.ThrowsAsync<ModelException>(() => ok.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo)));
        using var deadline = new CancellationTokenSource();
        var polled = ok.Fake.Requests.Count(r => r.Method == "GET");
        var hanging = ok.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo), deadline.Token);
        await Eventually(() => ok.Fake.Requests.Count(r => r.Method == "GET") > polled);
        deadline.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hanging);

        var lines = host.Logs.Lines.Concat(ok.Logs.Lines).ToList();
        // The HTTP client's own request logging is captured too, so a header in a log would show here.
        Assert.Contains(lines, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("canceled", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain(ReplicateTestHost.Token, l));
        Assert.All(new Exception[] { refused, failed }, e => Assert.DoesNotContain(ReplicateTestHost.Token, e.ToString()));
    }

    [Fact]
    public async Task OutputsOnAnotherHostAreFetchedWithoutTheToken()
    {
        await using var host = await ReplicateTestHost.StartAsync();
        host.Fake.DeliveryBaseUrl = host.Fake.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        host.Fake.Script(new FakeScenario(Outputs: 2));

        var result = await host.Provider.RunAsync(ReplicateRequests.Gfpgan(Photo));

        var downloads = host.Fake.Requests.Where(r => r.Path.StartsWith("/delivery/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, downloads.Count);
        Assert.All(downloads, d => Assert.Null(d.Authorization));
        Assert.Equal(host.Fake.OutputsOf(result.PredictionId!), result.Outputs.Select(o => o.Bytes));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
