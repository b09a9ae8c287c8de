using NetVips;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Stand-in for IC-Light relighting: the subject is cropped to the requested frame and lit by a
/// linear falloff from the chosen side. Variants differ in light strength and colour temperature.
/// </summary>
internal static class IcLightModel
{
    private const double Ambient = 0.45;

    public static IReadOnlyList<ModelOutput> Run(byte[] file, IcLightParameters p, LocalRun run)
    {
        var format = p.OutputFormat.ToLowerInvariant() switch
        {
            "webp" => ImageFormat.WebP,
            "jpg" or "jpeg" => ImageFormat.Jpeg,
            "png" => ImageFormat.Png,
            _ => throw new ModelException($"unknown output format '{p.OutputFormat}'", isInputError: true),
        };
        if (!LightSources.All.Contains(p.LightSource))
            throw new ModelException($"unknown light source '{p.LightSource}'", isInputError: true);
        if (p.Width is < 64 or > 4096 || p.Height is < 64 or > 4096 || p.NumberOfImages is < 1 or > 12)
            throw new ModelException("size or number of images out of range", isInputError: true);

        var subject = CoverCrop(LocalImages.Opaque(LocalImages.Decode(file, "subject_image", run)), p.Width, p.Height);
        if (subject.Width != p.Width || subject.Height != p.Height)
            throw new InvalidOperationException($"cover crop gave {subject.Width}x{subject.Height}, not {p.Width}x{p.Height}");
        var ramp = Ramp(p.LightSource, p.Width, p.Height);

        var outputs = new List<ModelOutput>(p.NumberOfImages);
        for (var index = 0; index < p.NumberOfImages; index++)
        {
            run.Token.ThrowIfCancellationRequested();
            // Later variants get a stronger light; warmth cycles cool, neutral, warm.
            var strength = 0.6 + 0.1 * index;
            var warmth = (index % 3 - 1) * 0.06;
            double[] tint = [1 + warmth, 1, 1 - warmth];

            Image lit;
            if (ramp is null)
            {
                var level = 0.8 + 0.05 * index;
                lit = subject.Linear([.. tint.Select(t => t * level)], [0, 0, 0], uchar: true);
            }
            else
            {
                var gain = ramp.Linear(strength, Ambient);
                lit = (subject * gain).Linear(tint, [0, 0, 0], uchar: true);
            }
            outputs.Add(LocalImages.Output(LocalImages.Finish(lit), format, run, quality: 85));
        }
        return outputs;
    }

    /// <summary>
    /// The centre of <paramref name="image"/> at the frame's aspect ratio, scaled to the frame. Cropping
    /// first keeps the work the size of the frame: scaling a very wide or tall input to cover the frame
    /// before cropping would build an image up to (long side / short side) times the frame (gigabytes).
    /// </summary>
    private static Image CoverCrop(Image image, int width, int height)
    {
        var frame = (double)width / height;
        var (w, h) = (double)image.Width / image.Height > frame
            ? ((int)Math.Max(1, Math.Round(image.Height * frame)), image.Height)
            : (image.Width, (int)Math.Max(1, Math.Round(image.Width / frame)));
        var centred = image.ExtractArea((image.Width - w) / 2, (image.Height - h) / 2, w, h);
        return centred.ThumbnailImage(width, height: height, size: Enums.Size.Force);
    }

    /// <summary>1 at the lit edge falling linearly to 0 at the opposite one; null for no direction.</summary>
    private static Image? Ramp(string lightSource, int width, int height)
    {
        if (lightSource == "None") return null;
        var coordinates = Image.Xyz(width, height);
        var (band, extent, fromStart) = lightSource switch
        {
            "Left Light" => (0, width, true),
            "Right Light" => (0, width, false),
            "Top Light" => (1, height, true),
            _ => (1, height, false),
        };
        var axis = coordinates.ExtractBand(band);
        var span = Math.Max(extent - 1, 1);
        return fromStart ? axis.Linear(-1.0 / span, 1) : axis.Linear(1.0 / span, 0);
    }
}
