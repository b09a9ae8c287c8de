using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Models;

/// <summary>Issue 24, finding 1: a canceled or over-time local run gives its slot back at once, and its inputs obey the decode limits.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class LocalCancellationTests
{
    private static ModelRequest Gfpgan(byte[] image) => Request(ModelNames.Gfpgan, new GfpganParameters(1, "1.3"), ("image", image));

    [Fact]
    public async Task A_run_canceled_while_it_cannot_stop_answers_at_once_and_the_next_run_gets_the_slot()
    {
        var entered = new TaskCompletionSource();
        var release = new ManualResetEventSlim();
        var first = true;
        // One slot; the first run is scripted to hang where libvips could not be interrupted (inside a loader call).
        var provider = new LocalModelProvider(1, null, null, beforeRun: _ =>
        {
            if (!first) return;
            first = false;
            entered.SetResult();
            release.Wait(CancellationToken.None);
        });
        using var cancel = new CancellationTokenSource();

        var hung = provider.RunAsync(Gfpgan(Photo(32, 24)), cancel.Token);
        await entered.Task;
        cancel.Cancel();
        // Bounded so that a provider which waits for the stuck thread fails here instead of hanging the run.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hung.WaitAsync(TimeSpan.FromSeconds(30)));

        // The slot is back although the first run's thread is still held.
        var next = await provider.RunAsync(Gfpgan(Photo(32, 24)), CancellationToken.None);
        Assert.Equal(32, Assert.Single(next.Outputs).Width);
        release.Set();
    }

    [Fact]
    public async Task A_scan_bomb_reaching_the_worker_is_an_input_error_not_a_decode()
    {
        var provider = new LocalModelProvider();

        var e = await Assert.ThrowsAsync<ModelException>(() => provider.RunAsync(Gfpgan(Uploads.ScanBomb.Write(64, 64))));
        Assert.True(e.IsInputError);
        Assert.Contains("more than 100 scans", e.Message);
        // With its own limits (from Wati:Uploads) the provider decodes what they allow.
        var lenient = new LocalModelProvider(1, null, new DecodeLimits(10_000, DecodeLimits.DefaultMaxHighDepthPixels));
        Assert.Single((await lenient.RunAsync(Gfpgan(Uploads.ScanBomb.Write(64, 64)))).Outputs);
    }
}
