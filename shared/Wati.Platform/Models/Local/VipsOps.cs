namespace Wati.Platform.Models.Local;

/// <summary>
/// Typed wrappers over the libvips operations we use. Each returns a new image the caller disposes;
/// nothing is computed until an image is written or measured.
/// </summary>
internal static class VipsOps
{
    /// <summary>Runs an operation whose result is the image output "out".</summary>
    public static VipsImage Run(string operation, params ReadOnlySpan<(string Name, object Value)> inputs)
    {
        using var op = new VipsOperation(operation);
        foreach (var (name, value) in inputs) op.Set(name, value);
        return op.Build().GetImage();
    }

    public static double RunDouble(string operation, params ReadOnlySpan<(string Name, object Value)> inputs)
    {
        using var op = new VipsOperation(operation);
        foreach (var (name, value) in inputs) op.Set(name, value);
        return op.Build().GetDouble();
    }

    // --- creation ---------------------------------------------------------------------------------

    public static VipsImage Black(int width, int height, int bands = 1) =>
        Run("black", ("width", width), ("height", height), ("bands", bands));

    public static VipsImage GaussNoise(int width, int height, double sigma, double mean, int seed = 0) =>
        Run("gaussnoise", ("width", width), ("height", height), ("sigma", sigma), ("mean", mean), ("seed", seed));

    /// <summary>Two bands: x and y coordinates (int).</summary>
    public static VipsImage Xyz(int width, int height) => Run("xyz", ("width", width), ("height", height));

    // --- arithmetic and conversion ----------------------------------------------------------------

    /// <summary>out = in * a + b per band (one value applies to all bands); float out unless <paramref name="uchar"/>.</summary>
    public static VipsImage Linear(this VipsImage image, double[] a, double[] b, bool uchar = false) =>
        Run("linear", ("in", image), ("a", a), ("b", b), ("uchar", uchar));

    public static VipsImage Linear(this VipsImage image, double a, double b, bool uchar = false) =>
        image.Linear([a], [b], uchar);

    public static VipsImage Multiply(this VipsImage left, VipsImage right) =>
        Run("multiply", ("left", left), ("right", right));

    public static VipsImage Add(this VipsImage left, VipsImage right) => Run("add", ("left", left), ("right", right));

    /// <summary>Converts the band format; out-of-range values are clipped ("uchar", "float"...).</summary>
    public static VipsImage Cast(this VipsImage image, string format = "uchar") =>
        Run("cast", ("in", image), ("format", format));

    public static VipsImage Colourspace(this VipsImage image, string space) =>
        Run("colourspace", ("in", image), ("space", space));

    public static VipsImage Recomb(this VipsImage image, int columns, int rows, ReadOnlySpan<double> matrix)
    {
        using var m = VipsImage.Matrix(columns, rows, matrix);
        return Run("recomb", ("in", image), ("m", m));
    }

    public static VipsImage BooleanConst(this VipsImage image, string operation, double[] c) =>
        Run("boolean_const", ("in", image), ("boolean", operation), ("c", c));

    public static VipsImage Math2Const(this VipsImage image, string operation, double[] c) =>
        Run("math2_const", ("in", image), ("math2", operation), ("c", c));

    public static VipsImage Invert(this VipsImage image) => Run("invert", ("in", image));

    // --- bands --------------------------------------------------------------------------------------

    public static VipsImage ExtractBand(this VipsImage image, int band, int count = 1) =>
        Run("extract_band", ("in", image), ("band", band), ("n", count));

    public static VipsImage BandJoin(params VipsImage[] images) => Run("bandjoin", ("in", images));

    public static VipsImage BandJoinConst(this VipsImage image, double[] c) =>
        Run("bandjoin_const", ("in", image), ("c", c));

    public static VipsImage Flatten(this VipsImage image, double[] background) =>
        Run("flatten", ("in", image), ("background", background));

    public static VipsImage Premultiply(this VipsImage image) => Run("premultiply", ("in", image));

    public static VipsImage Unpremultiply(this VipsImage image) => Run("unpremultiply", ("in", image));

    // --- geometry -----------------------------------------------------------------------------------

    public static VipsImage Resize(this VipsImage image, double scale, double vscale, string kernel = "lanczos3") =>
        Run("resize", ("in", image), ("scale", scale), ("vscale", vscale), ("kernel", kernel));

    /// <summary>Scales to cover width x height and centre-crops to exactly that size.</summary>
    public static VipsImage ThumbnailCover(this VipsImage image, int width, int height) =>
        Run("thumbnail_image", ("in", image), ("width", width), ("height", height), ("crop", "centre"));

    public static VipsImage ExtractArea(this VipsImage image, int left, int top, int width, int height) =>
        Run("extract_area", ("input", image), ("left", left), ("top", top), ("width", width), ("height", height));

    /// <summary>Alpha-composites <paramref name="overlay"/> onto <paramref name="base"/> at (x, y).</summary>
    public static VipsImage Composite2(this VipsImage @base, VipsImage overlay, int x, int y) =>
        Run("composite2", ("base", @base), ("overlay", overlay), ("mode", "over"), ("x", x), ("y", y));

    // --- filters ------------------------------------------------------------------------------------

    public static VipsImage GaussBlur(this VipsImage image, double sigma) =>
        Run("gaussblur", ("in", image), ("sigma", sigma));

    public static VipsImage Sharpen(this VipsImage image, double sigma, double m2) =>
        Run("sharpen", ("in", image), ("sigma", sigma), ("m2", m2));

    public static VipsImage Sobel(this VipsImage image) => Run("sobel", ("in", image));

    // --- measurement --------------------------------------------------------------------------------

    public static double Avg(this VipsImage image) => RunDouble("avg", ("in", image));

    /// <summary>Mean of each band, computed by libvips.</summary>
    public static double[] BandMeans(this VipsImage image)
    {
        var means = new double[image.Bands];
        for (var band = 0; band < means.Length; band++)
        {
            using var one = image.ExtractBand(band);
            means[band] = one.Avg();
        }
        return means;
    }
}
