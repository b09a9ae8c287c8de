using NetVips;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// The local stand-in for a video model (issue 18, items 3 and 4): a slow zoom (Ken Burns) over the input
/// image, written as an animated WebP. libvips holds an animation as one tall "toilet-roll" image of frames
/// stacked top to bottom, with <c>page-height</c> (one frame's height), <c>delay</c> (ms per frame) and
/// <c>loop</c> metadata that webpsave turns into frames (libvips pull request #4292, "Multipage and animated
/// images"; net-vips issue #159 sets the same three items before a multi-frame save).
/// The frames are drawn from an in-memory copy of the input scaled once to the output's size times the zoom,
/// so each frame is one small affine transform and the whole video costs about one output frame of memory
/// per frame in flight, not one decode of the input per frame.
/// </summary>
internal static class LocalVideo
{
    /// <summary>The durations a video may have, in seconds (issue 18, item 4: 5 or 10).</summary>
    public static readonly IReadOnlyList<int> Durations = [5, 10];

    /// <summary>
    /// Writes the zoom over <paramref name="image"/> as an animated WebP of
    /// <paramref name="durationSeconds"/> x <see cref="LocalVideoOptions.Fps"/> frames whose delays add up
    /// to exactly the duration (frames of 83 and 84 ms at 12 fps). A frame the WebP encoder finds alike to
    /// the one before is merged into it (its delay added), which happens only where the picture hardly
    /// moves (a flat image): the file then has fewer pages, never a different duration.
    /// </summary>
    /// <param name="image">A JPEG, PNG or WebP file (normalised as every input is: upright, sRGB).</param>
    /// <param name="durationSeconds">1..<see cref="LocalVideoOptions.MaxSeconds"/>; the models offer 5 or 10.</param>
    /// <param name="options">Frame rate, size cap and zoom; <see cref="LocalVideoOptions.Default"/> when null.</param>
    /// <param name="limits">The decode limits of the input (<see cref="DecodeLimits.Default"/> when null).</param>
    /// <param name="onFrame">Told the index of each frame once it is laid out (tests pause or cancel here).</param>
    /// <param name="ct">Checked before each frame; once canceled, the encode also stops at its next tile (libvips' kill flag).</param>
    /// <exception cref="ModelException">The duration is out of range (an input error).</exception>
    /// <exception cref="InputImageException">The input is not a usable image.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was canceled.</exception>
    public static LocalVideoResult ZoomWebP(byte[] image, int durationSeconds, CancellationToken ct, LocalVideoOptions? options = null,
        DecodeLimits? limits = null, Action<int>? onFrame = null)
    {
        var o = options ?? LocalVideoOptions.Default;
        if (durationSeconds < 1 || durationSeconds > o.MaxSeconds)
            throw new ModelException($"duration_seconds must be 1..{o.MaxSeconds}", isInputError: true);

        var input = LocalImages.Opaque(InputImages.Decode(InputImages.Open(image, "image", limits), "image", ct));
        var (width, height) = FrameSize(input.Width, input.Height, o.MaxSide);
        // The source every frame samples: just big enough that the closest frame is not upscaled.
        var source = input.Resize(width * o.Zoom / input.Width, vscale: height * o.Zoom / input.Height,
            kernel: Enums.Kernel.Lanczos3).CopyMemory();

        var count = durationSeconds * o.Fps;
        var frames = new Image[count];
        using var bilinear = Interpolate.NewFromName("bilinear");
        for (var i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var frame = Frame(source, bilinear, width, height, o.Zoom, count == 1 ? 0 : (double)i / (count - 1));
            frames[i] = FadeIn(frame, i, o.Fps / 2);
            onFrame?.Invoke(i);
        }
        ct.ThrowIfCancellationRequested();

        var roll = Image.Arrayjoin(frames, across: 1).Mutate(m =>
        {
            m.Set(GValue.GIntType, "page-height", height);
            m.Set(GValue.ArrayIntType, "delay", Delays(count, o.Fps));
            m.Set(GValue.GIntType, "loop", 0);
        });
        VipsErrors.Clear();
        try
        {
            var bytes = InputImages.Stoppable(LocalImages.Finish(roll), ct).WebpsaveBuffer(q: o.Quality, effort: 2,
                keep: Enums.ForeignKeep.None);
            // The encoder merges a frame that looks like the one before into it (a longer delay, libwebp's
            // anim_encode.c), so a still picture has fewer pages than frames; the duration is the same.
            using var written = Image.WebploadBuffer(bytes);
            var pages = written.Contains("n-pages") ? (int)written.Get("n-pages") : 1;
            return new LocalVideoResult(bytes, width, height, pages, durationSeconds);
        }
        catch (VipsException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException("the video was canceled; libvips stopped", ct);
        }
    }

    /// <summary>The frame size: the input's aspect, its long side at most <paramref name="maxSide"/>, never upscaled.</summary>
    public static (int Width, int Height) FrameSize(int width, int height, int maxSide)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>
    /// Frame delays in ms that add up to exactly <c>count / fps</c> seconds: frame i lasts
    /// round((i+1)·1000/fps) − round(i·1000/fps), so no rounding error accumulates.
    /// </summary>
    public static int[] Delays(int count, int fps) =>
        [.. Enumerable.Range(0, count).Select(i => (int)Math.Round((i + 1) * 1000.0 / fps) - (int)Math.Round(i * 1000.0 / fps))];

    /// <summary>
    /// One frame at progress <paramref name="t"/> (0..1): magnified by 1..<paramref name="zoom"/> around a
    /// centre that drifts up a little (towards a portrait's face), kept inside the source so no edge shows.
    /// </summary>
    private static Image Frame(Image source, Interpolate interpolate, int width, int height, double zoom, double t)
    {
        // At a steady pace (linear in t): an eased start would make the first frames so alike that the encoder merges them.
        var magnification = 1 + (zoom - 1) * t;
        var scale = magnification / zoom; // source pixels -> output pixels
        var halfW = width / (2 * scale);
        var halfH = height / (2 * scale);
        var cx = Inside(source.Width / 2.0, halfW, source.Width);
        var cy = Inside(source.Height * (0.5 - 0.06 * t), halfH, source.Height);
        return source.Affine([scale, 0, 0, scale], interpolate: interpolate,
            oarea: [0, 0, width, height], odx: width / 2.0 - cx * scale, ody: height / 2.0 - cy * scale, extend: Enums.Extend.Copy);
    }

    /// <summary>
    /// The first <paramref name="frames"/> frames rise from 40 % brightness, as slideshows open: this also keeps a
    /// picture that does not move (a flat one) animated, since the encoder would merge identical frames into one.
    /// </summary>
    private static Image FadeIn(Image frame, int index, int frames) =>
        index >= frames ? frame : frame.Linear(0.4 + 0.6 * index / frames, 0, uchar: true);

    /// <summary>A window centre kept so the window stays inside the source; the middle when the window fills it (the first frame, give or take rounding).</summary>
    private static double Inside(double wanted, double half, double size) =>
        half * 2 >= size ? size / 2 : Math.Clamp(wanted, half, size - half);
}

/// <summary>How <see cref="LocalVideo"/> draws: <paramref name="Fps"/> frames per second, frames at most
/// <paramref name="MaxSide"/> pixels on the long side (a 10 s video at 12 fps is 120 frames: kept small),
/// the last frame magnified <paramref name="Zoom"/> times, WebP <paramref name="Quality"/>, and the longest
/// duration allowed.</summary>
internal sealed record LocalVideoOptions(int Fps = 12, int MaxSide = 512, double Zoom = 1.2, int Quality = 70, int MaxSeconds = 10)
{
    /// <summary>12 fps, 512 px, 1.2x, quality 70, up to 10 s.</summary>
    public static LocalVideoOptions Default { get; } = new();
}

/// <summary>An animated WebP, its frame size, its frame count (pages in the file) and its duration.</summary>
internal sealed record LocalVideoResult(byte[] Bytes, int Width, int Height, int Frames, int DurationSeconds)
{
    /// <summary>As a model output: <c>image/webp</c>, <c>webp</c>, the frame size.</summary>
    public ModelOutput ToOutput() => new(Bytes, "image/webp", "webp", Width, Height);
}
