using Wati.Platform.Uploads;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Stand-in for GFPGAN face restoration: Lanczos3 upscale by the requested factor, then unsharp
/// masking to bring back edge detail. 1.4 sharpens harder than 1.3, as the real 1.4 looks crisper.
/// </summary>
internal static class GfpganModel
{
    public static ModelOutput Run(byte[] file, GfpganParameters parameters, LocalRun run)
    {
        if (parameters.Scale is < 1 or > 4) throw new ModelException("scale must be 1..4", isInputError: true);
        var (sigma, slope) = parameters.Version switch
        {
            "1.3" => (0.8, 2.0),
            "1.4" => (1.2, 3.5),
            _ => throw new ModelException("version must be 1.3 or 1.4", isInputError: true),
        };

        var image = LocalImages.Opaque(LocalImages.Decode(file, "image", run));
        if (parameters.Scale != 1) image = image.Resize(parameters.Scale, kernel: NetVips.Enums.Kernel.Lanczos3);
        var sharp = image.Sharpen(sigma: sigma, m2: slope);
        return LocalImages.Output(LocalImages.Finish(sharp), ImageFormat.Jpeg, run);
    }
}
