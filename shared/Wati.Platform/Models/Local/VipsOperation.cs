using System.Runtime.InteropServices;
using System.Text;

namespace Wati.Platform.Models.Local;

/// <summary>
/// One libvips operation driven through GObject properties: create by name, set inputs, build, read
/// outputs, dispose. This is the only way we pass doubles and arrays to libvips (no C varargs).
/// </summary>
internal sealed unsafe class VipsOperation : IDisposable
{
    private nint op;
    private bool built;

    public VipsOperation(string name)
    {
        Vips.EnsureAvailable();
        fixed (byte* n = Utf8(name))
        {
            op = VipsApi.vips_operation_new(n);
        }
        if (op == 0) throw new VipsException($"{name}: {Vips.TakeError()}");
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// Sets an input. The GValue is initialised with the property's own type, so an enum accepts its
    /// nickname ("lanczos3") or number, a double property accepts an int, and so on.
    /// </summary>
    public VipsOperation Set(string property, object value)
    {
        var name = Utf8(property);
        fixed (byte* n = name)
        {
            var type = PropertyType(n, property);
            var fundamental = VipsApi.g_type_fundamental(type);
            GValue gv = default;
            VipsApi.g_value_init(&gv, type);
            try
            {
                Assign(&gv, type, fundamental, property, value);
                VipsApi.g_object_set_property(op, n, &gv);
            }
            finally
            {
                VipsApi.g_value_unset(&gv);
            }
        }
        return this;
    }

    /// <summary>Applies "name=value,..." options, e.g. a saver's "Q=90,strip".</summary>
    public VipsOperation SetFromString(string options)
    {
        fixed (byte* s = Utf8(options))
        {
            if (VipsApi.vips_object_set_from_string(op, s) != 0) throw Failure();
        }
        return this;
    }

    public VipsOperation Build()
    {
        var result = VipsApi.vips_cache_operation_build(op);
        if (result == 0) throw Failure();
        // The cache hands back a (possibly different) referenced operation: drop ours, keep that one.
        VipsApi.g_object_unref(op);
        op = result;
        built = true;
        return this;
    }

    /// <summary>An output image, with a reference of its own (disposing the operation does not free it).</summary>
    public VipsImage GetImage(string property = "out") =>
        Get(property, gv => new VipsImage(VipsApi.g_object_ref(VipsApi.g_value_get_object(gv))));

    public double GetDouble(string property = "out") => Get(property, gv => VipsApi.g_value_get_double(gv));

    /// <summary>Copies a VipsBlob output (a saver's "buffer") into managed memory.</summary>
    public byte[] GetBlob(string property) => Get(property, gv =>
    {
        var blob = VipsApi.g_value_get_boxed(gv);
        if (blob == 0) throw new VipsException($"{Name}: no {property} produced");
        nuint length = 0;
        var data = VipsApi.vips_blob_get(blob, &length);
        return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
    });

    private delegate T Reader<out T>(GValue* value);

    private T Get<T>(string property, Reader<T> read)
    {
        if (!built) throw new InvalidOperationException($"{Name} must be built before reading {property}.");
        fixed (byte* n = Utf8(property))
        {
            GValue gv = default;
            VipsApi.g_value_init(&gv, PropertyType(n, property));
            try
            {
                VipsApi.g_object_get_property(op, n, &gv);
                return read(&gv);
            }
            finally
            {
                VipsApi.g_value_unset(&gv);
            }
        }
    }

    private static void Assign(GValue* gv, nuint type, nuint fundamental, string property, object value)
    {
        switch (value)
        {
            case VipsImage image when fundamental == GTypes.Object:
                VipsApi.g_value_set_object(gv, image.Pointer);
                GC.KeepAlive(image);
                break;
            case VipsImage[] images:
                SetImageArray(gv, images);
                break;
            case double[] array:
                fixed (double* a = array) VipsApi.vips_value_set_array_double(gv, a, array.Length);
                break;
            case byte[] bytes:
                // libvips takes its own copy, so the managed array need not stay pinned while the lazy
                // loader reads it.
                nint blob;
                fixed (byte* b = bytes) blob = VipsApi.vips_blob_copy(b, (nuint)bytes.Length);
                VipsApi.g_value_set_boxed(gv, blob);
                VipsApi.vips_area_unref(blob);
                break;
            case bool flag when fundamental == GTypes.Boolean:
                VipsApi.g_value_set_boolean(gv, flag ? 1 : 0);
                break;
            case string nick when fundamental == GTypes.Enum:
                VipsApi.g_value_set_enum(gv, EnumValue(type, property, nick));
                break;
            case string text when fundamental == GTypes.String:
                fixed (byte* s = Utf8(text)) VipsApi.g_value_set_string(gv, s);
                break;
            case int number when fundamental == GTypes.Int:
                VipsApi.g_value_set_int(gv, number);
                break;
            case int number when fundamental == GTypes.Enum:
                VipsApi.g_value_set_enum(gv, number);
                break;
            case int or double when fundamental == GTypes.Double:
                VipsApi.g_value_set_double(gv, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new ArgumentException($"Cannot set {property} from {value.GetType().Name}.", nameof(value));
        }
    }

    private static void SetImageArray(GValue* gv, VipsImage[] images)
    {
        var pointers = new nint[images.Length];
        for (var i = 0; i < images.Length; i++) pointers[i] = images[i].Pointer;
        nint array;
        // vips_array_image_new takes its own references to the images.
        fixed (nint* p = pointers) array = VipsApi.vips_array_image_new(p, images.Length);
        GC.KeepAlive(images);
        VipsApi.g_value_set_boxed(gv, array);
        VipsApi.vips_area_unref(array);
    }

    private static int EnumValue(nuint type, string property, string nick)
    {
        fixed (byte* domain = "wati"u8)
        fixed (byte* s = Utf8(nick))
        {
            var value = VipsApi.vips_enum_from_nick(domain, type, s);
            if (value < 0)
            {
                VipsApi.vips_error_clear();
                throw new ArgumentException($"{property}: unknown value '{nick}'.", nameof(nick));
            }
            return value;
        }
    }

    private nuint PropertyType(byte* name, string property)
    {
        // G_OBJECT_GET_CLASS: the class pointer is the first field of every GTypeInstance.
        var klass = *(nint*)op;
        var pspec = VipsApi.g_object_class_find_property(klass, name);
        if (pspec == 0) throw new ArgumentException($"{Name} has no property {property}.", nameof(property));
        // GParamSpec: { GTypeInstance (1 pointer); const char *name; GParamFlags flags (padded); GType value_type; }
        return *(nuint*)((byte*)pspec + 3 * sizeof(nint));
    }

    private VipsException Failure() => new($"{Name}: {Vips.TakeError()}");

    private static byte[] Utf8(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    public void Dispose()
    {
        if (op == 0) return;
        // Outputs hold references of their own (and on failure partial outputs may exist): drop them
        // before the operation itself.
        VipsApi.vips_object_unref_outputs(op);
        VipsApi.g_object_unref(op);
        op = 0;
    }
}
