using System.Runtime.InteropServices;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Owns one reference to a native VipsImage. Images are lazy: pixels are computed when something
/// downstream is written, and every derived image holds its own native reference to its inputs, so
/// disposing an input early is safe.
/// </summary>
internal sealed unsafe class VipsImage : SafeHandle
{
    /// <summary>Takes ownership of a reference the caller already holds.</summary>
    public VipsImage(nint image) : base(0, ownsHandle: true)
    {
        if (image == 0) throw new VipsException(Vips.TakeError());
        SetHandle(image);
    }

    public override bool IsInvalid => handle == 0;

    public int Width => Read(VipsApi.vips_image_get_width);
    public int Height => Read(VipsApi.vips_image_get_height);
    public int Bands => Read(VipsApi.vips_image_get_bands);
    public bool HasAlpha => Read(VipsApi.vips_image_hasalpha) != 0;

    /// <summary>VipsBandFormat: 0 uchar, 2 ushort, 6 float, 8 double...</summary>
    public int BandFormat => Read(VipsApi.vips_image_get_format);

    /// <summary>VipsInterpretation: 1 b-w, 22 srgb, 26 rgb16, 27 grey16...</summary>
    public int Interpretation => Read(VipsApi.vips_image_get_interpretation);

    /// <summary>Raw native pointer for passing to libvips; keep this wrapper alive for the duration.</summary>
    internal nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    /// <summary>Computes every pixel now and returns them interleaved (band-fastest, row-major).</summary>
    public byte[] ToBytes()
    {
        nuint size = 0;
        var data = VipsApi.vips_image_write_to_memory(Pointer, &size);
        GC.KeepAlive(this);
        if (data == null) throw new VipsException(Vips.TakeError());
        try
        {
            return new ReadOnlySpan<byte>(data, checked((int)size)).ToArray();
        }
        finally
        {
            VipsApi.g_free(data);
        }
    }

    /// <summary>Renders the pipeline into memory: later reads are cheap and decode errors surface here.</summary>
    public VipsImage CopyMemory()
    {
        var copy = new VipsImage(VipsApi.vips_image_copy_memory(Pointer));
        GC.KeepAlive(this);
        return copy;
    }

    /// <summary>A one-band double matrix (kernels, recombination matrices), row-major.</summary>
    public static VipsImage Matrix(int width, int height, ReadOnlySpan<double> values)
    {
        if (values.Length != width * height) throw new ArgumentException("Matrix size mismatch.", nameof(values));
        fixed (double* p = values)
        {
            return new VipsImage(VipsApi.vips_image_new_matrix_from_array(width, height, p, values.Length));
        }
    }

    private int Read(delegate* unmanaged[Cdecl]<nint, int> getter)
    {
        var value = getter(Pointer);
        GC.KeepAlive(this);
        return value;
    }

    protected override bool ReleaseHandle()
    {
        VipsApi.g_object_unref(handle);
        return true;
    }
}
