using NetVips;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;
using Wati.Platform.Uploads;
using static Wati.Tests.Models.VipsTestImages;

namespace Wati.Tests.Models;

/// <summary>Issue 18, item 4: the local video stand-in writes a slow zoom over the portrait as an animated WebP.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class LocalVideoTests
{
    // Small frames keep 60-120 frame encodes quick; the geometry is the same at any size.
    private static readonly LocalVideoOptions Small = new(MaxSide: 256);

    private static Image Pages(byte[] webp) => Image.WebploadBuffer(webp, n: -1);

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    public void The_video_has_fps_times_seconds_frames_whose_delays_add_up_to_the_duration(int seconds)
    {
        var video = LocalVideo.ZoomWebP(Photo(320, 240), seconds, CancellationToken.None, Small);

        using var read = Pages(video.Bytes);
        Assert.Equal(12 * seconds, (int)read.Get("n-pages"));
        Assert.Equal(12 * seconds, video.Frames);
        Assert.Equal(video.Height, read.PageHeight);
        Assert.Equal(video.Width, read.Width);
        var delays = (int[])read.Get("delay");
        Assert.Equal(12 * seconds, delays.Length);
        Assert.Equal(seconds * 1000, delays.Sum());
        Assert.All(delays, d => Assert.InRange(d, 83, 84));
        // What the platform's probes say of it: an animated WebP, a video, of the frame size.
        var media = MediaProbe.TryProbe(video.Bytes);
        Assert.Equal(new MediaInfo(MediaKind.Video, "image/webp", "webp", video.Width, video.Height), media);
    }

    [Fact]
    public void A_flat_picture_is_still_animated_with_frames_merged_by_the_encoder_and_the_same_duration()
    {
        using var flat = Flat(200, 150, [90, 120, 150]);
        var video = LocalVideo.ZoomWebP(flat.PngsaveBuffer(), 5, CancellationToken.None, Small);

        using var read = Pages(video.Bytes);
        Assert.Equal(video.Frames, (int)read.Get("n-pages"));
        // The fade-in's frames differ; the still frames after it are merged into the last of them.
        Assert.InRange(video.Frames, 2, 59);
        Assert.Equal(MediaKind.Video, MediaProbe.TryProbe(video.Bytes)?.Kind);
        Assert.Equal(5_000, ((int[])read.Get("delay")).Sum());
        Assert.Equal(5, video.DurationSeconds);
    }

    [Fact]
    public void Frames_keep_the_input_aspect_and_are_capped_on_the_long_side_never_upscaled()
    {
        var landscape = LocalVideo.ZoomWebP(Photo(320, 240), 5, CancellationToken.None, Small);
        Assert.Equal((256, 192), (landscape.Width, landscape.Height));

        var portrait = LocalVideo.ZoomWebP(Photo(60, 90), 5, CancellationToken.None, Small);
        Assert.Equal((60, 90), (portrait.Width, portrait.Height));

        Assert.Equal((384, 512), LocalVideo.FrameSize(3000, 4000, 512));
        Assert.Equal((512, 288), LocalVideo.FrameSize(1920, 1080, 512));
    }

    [Fact]
    public void The_zoom_changes_the_picture_from_the_first_frame_to_the_last_and_the_first_frames_fade_in()
    {
        var video = LocalVideo.ZoomWebP(Photo(320, 240), 5, CancellationToken.None, Small);

        using var read = Pages(video.Bytes);
        var h = read.PageHeight;
        // Frame 6 is the first after the half-second fade-in: from there only the zoom changes the picture.
        using var first = read.Crop(0, 6 * h, read.Width, h);
        using var last = read.Crop(0, (video.Frames - 1) * h, read.Width, h);
        using var middle = read.Crop(0, video.Frames / 2 * h, read.Width, h);
        var firstToLast = (first.Cast(Enums.BandFormat.Float) - last).Abs().Avg();
        var firstToMiddle = (first.Cast(Enums.BandFormat.Float) - middle).Abs().Avg();
        // The photo's ramps move under a 1.2x zoom: well above WebP's own noise, and growing with the zoom.
        Assert.True(firstToLast > 4, $"frame 6 vs the last frame differ by {firstToLast:F2} on average");
        Assert.True(firstToMiddle > 1 && firstToMiddle < firstToLast, $"middle {firstToMiddle:F2}, last {firstToLast:F2}");

        using var opening = read.Crop(0, 0, read.Width, h);
        // Pages read back as RGBA: compare the colour bands only.
        var (dim, full) = (opening.ExtractBand(0, n: 3).Avg(), first.ExtractBand(0, n: 3).Avg());
        Assert.True(dim < full * 0.5, $"the opening frame's mean {dim:F1} vs {full:F1}");

        // And the same input gives the same video.
        Assert.Equal(video.Bytes, LocalVideo.ZoomWebP(Photo(320, 240), 5, CancellationToken.None, Small).Bytes);
    }

    [Fact]
    public void Canceling_between_frames_stops_the_video_at_the_next_frame()
    {
        using var cancel = new CancellationTokenSource();
        var laidOut = new List<int>();

        Assert.ThrowsAny<OperationCanceledException>(() => LocalVideo.ZoomWebP(Photo(320, 240), 10, cancel.Token, Small, onFrame: i =>
        {
            laidOut.Add(i);
            if (i == 2) cancel.Cancel();
        }));

        Assert.Equal([0, 1, 2], laidOut);
    }

    [Fact]
    public void A_canceled_token_stops_it_before_any_work()
    {
        var laidOut = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
            LocalVideo.ZoomWebP(Photo(320, 240), 5, new CancellationToken(canceled: true), Small, onFrame: _ => laidOut++));
        Assert.Equal(0, laidOut);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void A_duration_out_of_range_is_an_input_error(int seconds)
    {
        var e = Assert.Throws<ModelException>(() => LocalVideo.ZoomWebP(Photo(32, 24), seconds, CancellationToken.None, Small));
        Assert.True(e.IsInputError);
    }

    [Fact]
    public void An_input_that_is_not_an_image_is_refused_as_the_inputs_fault()
    {
        var e = Assert.Throws<InputImageException>(() => LocalVideo.ZoomWebP("not an image"u8.ToArray(), 5, CancellationToken.None, Small));
        Assert.Equal(InputImageProblem.NotAnImage, e.Problem);
    }

    [Fact]
    public void Delays_at_any_rate_add_up_exactly()
    {
        Assert.Equal(10_000, LocalVideo.Delays(120, 12).Sum());
        Assert.Equal(5_000, LocalVideo.Delays(35, 7).Sum());
        Assert.Equal([83, 84, 83], LocalVideo.Delays(3, 12));
    }

    // --- the derived image of a generic image model --------------------------------------------------------------

    [Fact]
    public void A_derived_image_keeps_the_inputs_size_differs_from_it_and_from_the_other_outputs_and_repeats_exactly()
    {
        var input = Photo(64, 48);
        var run = new LocalRun(DecodeLimits.Default, CancellationToken.None);

        var first = LocalDerivedImage.Run(input, 0, "", run);
        var second = LocalDerivedImage.Run(input, 1, "", run);

        Assert.Equal(("image/jpeg", "jpg", 64, 48), (first.ContentType, first.Extension, first.Width, first.Height));
        using var original = Image.NewFromBuffer(input);
        using var a = Image.NewFromBuffer(first.Bytes);
        using var b = Image.NewFromBuffer(second.Bytes);
        Assert.True((original.Cast(Enums.BandFormat.Float) - a).Abs().Avg() > 5, "output 0 looks like the input");
        Assert.True((a.Cast(Enums.BandFormat.Float) - b).Abs().Avg() > 5, "outputs 0 and 1 look alike");
        Assert.Equal(first.Bytes, LocalDerivedImage.Run(input, 0, "", run).Bytes);
    }

    [Fact]
    public void Without_an_image_input_the_other_inputs_choose_the_picture()
    {
        var run = new LocalRun(DecodeLimits.Default, CancellationToken.None);

        var cat = LocalDerivedImage.Run(null, 0, "prompt=a cat", run);
        var dog = LocalDerivedImage.Run(null, 0, "prompt=a dog", run);

        Assert.Equal((LocalDerivedImage.GeneratedSide, LocalDerivedImage.GeneratedSide), (cat.Width, cat.Height));
        Assert.NotEqual(cat.Bytes, dog.Bytes);
        Assert.Equal(cat.Bytes, LocalDerivedImage.Run(null, 0, "prompt=a cat", run).Bytes);
    }
}
