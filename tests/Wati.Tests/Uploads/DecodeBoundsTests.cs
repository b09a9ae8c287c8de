using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NetVips;
using Wati.Envelope;
using Wati.Platform.Uploads;
using Wati.Tests.Models;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Uploads;

/// <summary>Issue 24, finding 1: decode cost bounded before and while decoding (scans, 16-bit PNGs, time, concurrency).</summary>
[Collection(LibVipsCollection.Name)]
public sealed class DecodeBoundsTests
{
    private static byte[] Jpeg(params byte[][] parts) => [0xFF, 0xD8, .. parts.SelectMany(p => p), 0xFF, 0xD9];

    private static byte[] Sos => [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00];

    [Fact]
    public void Scans_are_counted_from_the_markers_skipping_stuffed_bytes_restart_markers_and_fill_bytes()
    {
        // Entropy data holding FF 00 (a stuffed FF), FF D3 (a restart marker) and FF FF before the next SOS.
        byte[] tricky = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0x00, 0xFF, 0xD0, 0x78];
        byte[] dht = [0xFF, 0xC4, 0x00, 0x04, 0xFF, 0xDA]; // a segment whose payload looks like markers
        var file = Jpeg(dht, Sos, tricky, [0xFF, 0xFF], Sos, [0x01, 0x02], Sos, [0xFF, 0x00]);

        Assert.Equal(3, ImageProbe.CountJpegScans(file));
        Assert.Equal(2, ImageProbe.CountJpegScans(file, stopAfter: 2));
        // What follows EOI is not the image's (trailers, an appended file).
        Assert.Equal(3, ImageProbe.CountJpegScans([.. file, .. Sos, .. Sos]));
    }

    [Fact]
    public void Real_files_have_the_scans_their_encoder_wrote()
    {
        using var photo = Image.NewFromBuffer(Photo(96, 64));
        var baseline = photo.JpegsaveBuffer(q: 90);
        var progressive = photo.JpegsaveBuffer(q: 90, interlace: true);

        Assert.Equal(1, ImageProbe.CountJpegScans(baseline));
        // libjpeg's default progression for a YCbCr file (jcparam.c, jpeg_simple_progression): 10 scans.
        Assert.Equal(10, ImageProbe.CountJpegScans(progressive));
        Assert.Equal(ScanBomb.FullScans, ImageProbe.CountJpegScans(ScanBomb.Write(64, 64)));
    }

    [Fact]
    public void The_generated_scan_bomb_is_a_legal_jpeg_that_libvips_decodes_when_no_limit_stops_it()
    {
        // Proves the refusal below is about the scan count, not a damaged file.
        var bomb = ScanBomb.Write(64, 64);
        using var decoded = InputImages.Decode(InputImages.Open(bomb, "image", new DecodeLimits(10_000, 1)), "image");

        Assert.Equal((64, 64), (decoded.Width, decoded.Height));
        Assert.InRange(decoded.Avg(), 120, 136); // a flat mid grey
    }

    [Fact]
    public void A_jpeg_over_the_scan_limit_is_refused_before_decoding_naming_the_field_and_the_rule()
    {
        var e = Assert.Throws<InputImageException>(() => InputImages.Open(ScanBomb.Write(64, 64), "image"));

        Assert.Equal(("image", InputImageProblem.TooManyScans, "too_many_scans"), (e.Field, e.Problem, e.Reason));
        Assert.Equal(DecodeLimits.DefaultMaxJpegScans, e.Limit);
        Assert.Contains("more than 100 scans", e.Message);
        // At the limit itself a file is fine.
        var atLimit = ScanBomb.Write(64, 64, acScans: DecodeLimits.DefaultMaxJpegScans - 1);
        Assert.Equal(DecodeLimits.DefaultMaxJpegScans, ImageProbe.CountJpegScans(atLimit));
        using var decoded = InputImages.Decode(InputImages.Open(atLimit, "image"), "image");
        Assert.Equal(64, decoded.Width);
    }

    [Fact]
    public void A_16_bit_png_over_the_high_depth_limit_is_refused_and_an_8_bit_one_of_the_same_size_is_not()
    {
        using var grey = Image.Black(200, 100, bands: 3).Linear([0, 0, 0], [30000, 20000, 10000]).Cast(Enums.BandFormat.Ushort)
            .Copy(interpretation: Enums.Interpretation.Rgb16);
        var deep = grey.PngsaveBuffer(bitdepth: 16);
        Assert.Equal(16, ImageProbe.PngBitDepth(deep));
        var limits = new DecodeLimits(100, MaxHighDepthPixels: 10_000);

        var e = Assert.Throws<InputImageException>(() => InputImages.Open(deep, "fg", limits));
        Assert.Equal(("fg", "high_bit_depth_too_large", 10_000L), (e.Field, e.Reason, e.Limit));

        var eight = Encode(Flat(200, 100, [10, 20, 30]), ImageFormat.Png);
        Assert.Equal(8, ImageProbe.PngBitDepth(eight));
        Assert.Equal(200, InputImages.Open(eight, "fg", limits).Image.Width);
        // Under the limit a 16-bit file is decoded as before.
        Assert.Equal(200, InputImages.Open(deep, "fg", limits with { MaxHighDepthPixels = 20_000 }).Image.Width);
    }

    [Fact]
    public void A_canceled_decode_is_stopped_by_libvips_kill_flag()
    {
        var image = InputImages.Open(Photo(1200, 900), "image");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => InputImages.Decode(image, "image", cancel.Token));
        // The kill flag is on what was evaluated: libvips refuses to compute it now.
        Assert.Throws<VipsException>(() => InputImages.Stoppable(image.Image, cancel.Token).CopyMemory());
    }

    private static DecodeGate Gate(FakeTimeProvider time, int width = 1, int queueMs = 0, int maxMs = 1000) =>
        new(Options.Create(new UploadOptions { MaxConcurrentDecodes = width, DecodeQueueMilliseconds = queueMs, MaxDecodeMilliseconds = maxMs }), time);

    [Fact]
    public async Task A_decode_past_the_time_cap_answers_400_at_once_its_token_is_canceled_and_its_slot_comes_back_when_it_ends()
    {
        var time = new FakeTimeProvider();
        using var gate = Gate(time, maxMs: 500);
        var started = new TaskCompletionSource();
        var release = new ManualResetEventSlim();
        var sawCancel = false;

        var decode = gate.RunAsync("image", token =>
        {
            started.SetResult();
            release.Wait(CancellationToken.None); // a decode that does not stop by itself (a loader call)
            sawCancel = token.IsCancellationRequested;
            return 1;
        }, CancellationToken.None);
        await started.Task;
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(decode.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        // Bounded so that a gate which waits for the stuck work fails here instead of hanging the run.
        var e = await Assert.ThrowsAsync<ApiException>(() => decode.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ErrorCode.ValidationError, e.Code);
        Assert.Contains("longer than 500 ms", e.Message);
        // The abandoned work still holds its slot until it really ends.
        Assert.Equal(1, gate.Running);
        release.Set();
        await WaitUntilAsync(() => gate.Running == 0);
        Assert.True(sawCancel, "the work's token (libvips' kill flag) was canceled at the cap");
        Assert.Equal(2, await gate.RunAsync("image", _ => 2, CancellationToken.None));
    }

    [Fact]
    public async Task The_decode_limiter_refuses_beyond_its_width_with_429_and_retry_after_then_admits_again()
    {
        var time = new FakeTimeProvider();
        using var gate = Gate(time, width: 2, queueMs: 0);
        var release = new ManualResetEventSlim();
        var running = new CountdownEvent(2);
        var held = Enumerable.Range(0, 2).Select(_ => gate.RunAsync("file", _ =>
        {
            running.Signal();
            release.Wait(CancellationToken.None);
            return 0;
        }, CancellationToken.None)).ToList();
        running.Wait(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<ApiException>(() => gate.RunAsync("file", _ => 3, CancellationToken.None));
        Assert.Equal((ErrorCode.RateLimitExceeded, 1), (e.Code, e.RetryAfterSeconds));

        release.Set();
        await Task.WhenAll(held);
        Assert.Equal(3, await gate.RunAsync("file", _ => 3, CancellationToken.None));
    }

    [Fact]
    public async Task A_waiting_decode_gets_the_first_slot_freed_within_the_queue_time_and_is_refused_after_it()
    {
        var time = new FakeTimeProvider();
        using var gate = Gate(time, width: 1, queueMs: 2000, maxMs: 60_000);
        var release = new ManualResetEventSlim();
        var started = new TaskCompletionSource();
        var first = gate.RunAsync("file", _ =>
        {
            started.SetResult();
            release.Wait(CancellationToken.None);
            return 1;
        }, CancellationToken.None);
        await started.Task;

        var waiting = gate.RunAsync("file", _ => 2, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        release.Set();
        Assert.Equal((1, 2), (await first, await waiting));

        release.Reset();
        var again = new TaskCompletionSource();
        var holder = gate.RunAsync("file", _ =>
        {
            again.SetResult();
            release.Wait(CancellationToken.None);
            return 1;
        }, CancellationToken.None);
        await again.Task;
        var late = gate.RunAsync("file", _ => 2, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(2000));
        Assert.Equal(ErrorCode.RateLimitExceeded, (await Assert.ThrowsAsync<ApiException>(() => late)).Code);
        release.Set();
        await holder;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
