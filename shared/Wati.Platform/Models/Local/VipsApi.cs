#pragma warning disable IDE1006, CA1707 // native names kept as in the C headers so they can be checked against them

namespace Wati.Platform.Models.Local;

/// <summary>
/// The native functions we call, bound once by <see cref="Vips"/>. Only fixed-argument functions are
/// listed: C varargs cannot be called portably from .NET (on Apple arm64 variadic arguments travel on
/// the stack), so operations are run through the GObject property API instead.
/// GType is a gsize in C, hence <c>nuint</c>; gboolean is an int.
/// </summary>
internal static unsafe class VipsApi
{
    // libvips core
    public static delegate* unmanaged[Cdecl]<byte*, int> vips_init;
    public static delegate* unmanaged[Cdecl]<int, int> vips_version;
    public static delegate* unmanaged[Cdecl]<byte*> vips_error_buffer;
    public static delegate* unmanaged[Cdecl]<void> vips_error_clear;
    public static delegate* unmanaged[Cdecl]<int, void> vips_cache_set_max;
    public static delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<void*, void*, void*, void*>, void*, void*, void*> vips_object_map;

    // operations
    public static delegate* unmanaged[Cdecl]<byte*, nint> vips_operation_new;
    public static delegate* unmanaged[Cdecl]<nint, nint> vips_cache_operation_build;
    public static delegate* unmanaged[Cdecl]<nint, void> vips_object_unref_outputs;
    public static delegate* unmanaged[Cdecl]<nint, byte*, int> vips_object_set_from_string;
    public static delegate* unmanaged[Cdecl]<byte*, nuint, byte*, int> vips_enum_from_nick;

    // images
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_get_width;
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_get_height;
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_get_bands;
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_get_format;
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_get_interpretation;
    public static delegate* unmanaged[Cdecl]<nint, int> vips_image_hasalpha;
    public static delegate* unmanaged[Cdecl]<nint, nint> vips_image_copy_memory;
    public static delegate* unmanaged[Cdecl]<nint, nuint*, void*> vips_image_write_to_memory;
    public static delegate* unmanaged[Cdecl]<int, int, double*, int, nint> vips_image_new_matrix_from_array;

    // foreign (file formats) and boxed arrays
    public static delegate* unmanaged[Cdecl]<void*, nuint, byte*> vips_foreign_find_load_buffer;
    public static delegate* unmanaged[Cdecl]<byte*, byte*> vips_foreign_find_save_buffer;
    public static delegate* unmanaged[Cdecl]<void*, nuint, nint> vips_blob_copy;
    public static delegate* unmanaged[Cdecl]<nint, nuint*, void*> vips_blob_get;
    public static delegate* unmanaged[Cdecl]<nint, void> vips_area_unref;
    public static delegate* unmanaged[Cdecl]<GValue*, double*, int, void> vips_value_set_array_double;
    public static delegate* unmanaged[Cdecl]<nint*, int, nint> vips_array_image_new;

    // GObject / GLib
    public static delegate* unmanaged[Cdecl]<nint, nint> g_object_ref;
    public static delegate* unmanaged[Cdecl]<nint, void> g_object_unref;
    public static delegate* unmanaged[Cdecl]<nint, byte*, nint> g_object_class_find_property;
    public static delegate* unmanaged[Cdecl]<nint, byte*, GValue*, void> g_object_set_property;
    public static delegate* unmanaged[Cdecl]<nint, byte*, GValue*, void> g_object_get_property;
    public static delegate* unmanaged[Cdecl]<nuint, nuint> g_type_fundamental;
    public static delegate* unmanaged[Cdecl]<GValue*, nuint, GValue*> g_value_init;
    public static delegate* unmanaged[Cdecl]<GValue*, void> g_value_unset;
    public static delegate* unmanaged[Cdecl]<GValue*, int, void> g_value_set_int;
    public static delegate* unmanaged[Cdecl]<GValue*, int, void> g_value_set_boolean;
    public static delegate* unmanaged[Cdecl]<GValue*, int, void> g_value_set_enum;
    public static delegate* unmanaged[Cdecl]<GValue*, double, void> g_value_set_double;
    public static delegate* unmanaged[Cdecl]<GValue*, byte*, void> g_value_set_string;
    public static delegate* unmanaged[Cdecl]<GValue*, nint, void> g_value_set_object;
    public static delegate* unmanaged[Cdecl]<GValue*, nint, void> g_value_set_boxed;
    public static delegate* unmanaged[Cdecl]<GValue*, int> g_value_get_int;
    public static delegate* unmanaged[Cdecl]<GValue*, double> g_value_get_double;
    public static delegate* unmanaged[Cdecl]<GValue*, nint> g_value_get_object;
    public static delegate* unmanaged[Cdecl]<GValue*, nint> g_value_get_boxed;
    public static delegate* unmanaged[Cdecl]<void*, void> g_free;

    /// <summary>Resolves every pointer; throws <see cref="EntryPointNotFoundException"/> on the first missing one.</summary>
    public static void Bind(Func<string, nint> resolve)
    {
        vips_init = (delegate* unmanaged[Cdecl]<byte*, int>)resolve(nameof(vips_init));
        vips_version = (delegate* unmanaged[Cdecl]<int, int>)resolve(nameof(vips_version));
        vips_error_buffer = (delegate* unmanaged[Cdecl]<byte*>)resolve(nameof(vips_error_buffer));
        vips_error_clear = (delegate* unmanaged[Cdecl]<void>)resolve(nameof(vips_error_clear));
        vips_cache_set_max = (delegate* unmanaged[Cdecl]<int, void>)resolve(nameof(vips_cache_set_max));
        vips_object_map = (delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<void*, void*, void*, void*>, void*, void*, void*>)resolve(nameof(vips_object_map));

        vips_operation_new = (delegate* unmanaged[Cdecl]<byte*, nint>)resolve(nameof(vips_operation_new));
        vips_cache_operation_build = (delegate* unmanaged[Cdecl]<nint, nint>)resolve(nameof(vips_cache_operation_build));
        vips_object_unref_outputs = (delegate* unmanaged[Cdecl]<nint, void>)resolve(nameof(vips_object_unref_outputs));
        vips_object_set_from_string = (delegate* unmanaged[Cdecl]<nint, byte*, int>)resolve(nameof(vips_object_set_from_string));
        vips_enum_from_nick = (delegate* unmanaged[Cdecl]<byte*, nuint, byte*, int>)resolve(nameof(vips_enum_from_nick));

        vips_image_get_width = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_get_width));
        vips_image_get_height = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_get_height));
        vips_image_get_bands = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_get_bands));
        vips_image_get_format = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_get_format));
        vips_image_get_interpretation = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_get_interpretation));
        vips_image_hasalpha = (delegate* unmanaged[Cdecl]<nint, int>)resolve(nameof(vips_image_hasalpha));
        vips_image_copy_memory = (delegate* unmanaged[Cdecl]<nint, nint>)resolve(nameof(vips_image_copy_memory));
        vips_image_write_to_memory = (delegate* unmanaged[Cdecl]<nint, nuint*, void*>)resolve(nameof(vips_image_write_to_memory));
        vips_image_new_matrix_from_array = (delegate* unmanaged[Cdecl]<int, int, double*, int, nint>)resolve(nameof(vips_image_new_matrix_from_array));

        vips_foreign_find_load_buffer = (delegate* unmanaged[Cdecl]<void*, nuint, byte*>)resolve(nameof(vips_foreign_find_load_buffer));
        vips_foreign_find_save_buffer = (delegate* unmanaged[Cdecl]<byte*, byte*>)resolve(nameof(vips_foreign_find_save_buffer));
        vips_blob_copy = (delegate* unmanaged[Cdecl]<void*, nuint, nint>)resolve(nameof(vips_blob_copy));
        vips_blob_get = (delegate* unmanaged[Cdecl]<nint, nuint*, void*>)resolve(nameof(vips_blob_get));
        vips_area_unref = (delegate* unmanaged[Cdecl]<nint, void>)resolve(nameof(vips_area_unref));
        vips_value_set_array_double = (delegate* unmanaged[Cdecl]<GValue*, double*, int, void>)resolve(nameof(vips_value_set_array_double));
        vips_array_image_new = (delegate* unmanaged[Cdecl]<nint*, int, nint>)resolve(nameof(vips_array_image_new));

        g_object_ref = (delegate* unmanaged[Cdecl]<nint, nint>)resolve(nameof(g_object_ref));
        g_object_unref = (delegate* unmanaged[Cdecl]<nint, void>)resolve(nameof(g_object_unref));
        g_object_class_find_property = (delegate* unmanaged[Cdecl]<nint, byte*, nint>)resolve(nameof(g_object_class_find_property));
        g_object_set_property = (delegate* unmanaged[Cdecl]<nint, byte*, GValue*, void>)resolve(nameof(g_object_set_property));
        g_object_get_property = (delegate* unmanaged[Cdecl]<nint, byte*, GValue*, void>)resolve(nameof(g_object_get_property));
        g_type_fundamental = (delegate* unmanaged[Cdecl]<nuint, nuint>)resolve(nameof(g_type_fundamental));
        g_value_init = (delegate* unmanaged[Cdecl]<GValue*, nuint, GValue*>)resolve(nameof(g_value_init));
        g_value_unset = (delegate* unmanaged[Cdecl]<GValue*, void>)resolve(nameof(g_value_unset));
        g_value_set_int = (delegate* unmanaged[Cdecl]<GValue*, int, void>)resolve(nameof(g_value_set_int));
        g_value_set_boolean = (delegate* unmanaged[Cdecl]<GValue*, int, void>)resolve(nameof(g_value_set_boolean));
        g_value_set_enum = (delegate* unmanaged[Cdecl]<GValue*, int, void>)resolve(nameof(g_value_set_enum));
        g_value_set_double = (delegate* unmanaged[Cdecl]<GValue*, double, void>)resolve(nameof(g_value_set_double));
        g_value_set_string = (delegate* unmanaged[Cdecl]<GValue*, byte*, void>)resolve(nameof(g_value_set_string));
        g_value_set_object = (delegate* unmanaged[Cdecl]<GValue*, nint, void>)resolve(nameof(g_value_set_object));
        g_value_set_boxed = (delegate* unmanaged[Cdecl]<GValue*, nint, void>)resolve(nameof(g_value_set_boxed));
        g_value_get_int = (delegate* unmanaged[Cdecl]<GValue*, int>)resolve(nameof(g_value_get_int));
        g_value_get_double = (delegate* unmanaged[Cdecl]<GValue*, double>)resolve(nameof(g_value_get_double));
        g_value_get_object = (delegate* unmanaged[Cdecl]<GValue*, nint>)resolve(nameof(g_value_get_object));
        g_value_get_boxed = (delegate* unmanaged[Cdecl]<GValue*, nint>)resolve(nameof(g_value_get_boxed));
        g_free = (delegate* unmanaged[Cdecl]<void*, void>)resolve(nameof(g_free));
    }
}

/// <summary>
/// GLib's GValue: a GType followed by a two-slot 64-bit union (24 bytes on 64-bit). Must start zeroed
/// before <c>g_value_init</c> and be released with <c>g_value_unset</c>.
/// </summary>
internal struct GValue
{
#pragma warning disable CS0169, IDE0051 // only ever touched by native code
    private nuint type;
    private ulong data0;
    private ulong data1;
#pragma warning restore CS0169, IDE0051
}

/// <summary>Fundamental GTypes (G_TYPE_MAKE_FUNDAMENTAL(n) = n &lt;&lt; 2), fixed by the GLib ABI.</summary>
internal static class GTypes
{
    public const nuint Boolean = 5 << 2, Int = 6 << 2, Enum = 12 << 2, Flags = 13 << 2, Double = 15 << 2,
        String = 16 << 2, Boxed = 18 << 2, Object = 20 << 2;
}
