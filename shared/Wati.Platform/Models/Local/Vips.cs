using System.Runtime.InteropServices;

namespace Wati.Platform.Models.Local;

/// <summary>
/// Entry point of our own small libvips binding. The native library is optional at build time and
/// found at first use, so the server starts (and reports readiness) on machines without it.
/// </summary>
public static class Vips
{
    private const int MinMajor = 8, MinMinor = 10;

    private static readonly Lazy<string?> State = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Null when libvips is loaded and initialised; otherwise what is wrong and how to fix it.</summary>
    public static string? UnavailableReason => State.Value;

    internal static void EnsureAvailable()
    {
        if (UnavailableReason is { } reason) throw new VipsUnavailableException(reason);
    }

    private static string? Initialize()
    {
        var vips = TryLoadAny(VipsNames);
        if (vips == 0) return $"libvips is not installed: {InstallHint}";
        // On Windows symbols are only found in the library that defines them, so load glib/gobject too;
        // elsewhere dlsym on libvips already reaches its dependencies and these are just extra sources.
        nint[] libraries = [vips, TryLoadAny(GObjectNames), TryLoadAny(GLibNames)];

        try
        {
            VipsApi.Bind(name => Resolve(libraries, name));
        }
        catch (EntryPointNotFoundException e)
        {
            return $"libvips {MinMajor}.{MinMinor}+ is required ({e.Message}): {InstallHint}";
        }

        unsafe
        {
            var major = VipsApi.vips_version(0);
            var minor = VipsApi.vips_version(1);
            if (major < MinMajor || (major == MinMajor && minor < MinMinor))
                return $"libvips {major}.{minor} is too old, {MinMajor}.{MinMinor}+ is required: {InstallHint}";

            fixed (byte* argv0 = "wati"u8)
            {
                if (VipsApi.vips_init(argv0) != 0) return $"libvips failed to start: {TakeError()}";
            }
            // The operation cache would keep finished images (and copies of their input files) alive
            // after we drop them; our calls never repeat, so it only costs memory.
            VipsApi.vips_cache_set_max(0);
        }
        return null;
    }

    private static nint Resolve(nint[] libraries, string name)
    {
        foreach (var library in libraries)
        {
            if (library != 0 && NativeLibrary.TryGetExport(library, name, out var address)) return address;
        }
        throw new EntryPointNotFoundException($"missing {name}");
    }

    private static nint TryLoadAny(string[] names)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        }
        return 0;
    }

    // Homebrew on Apple silicon installs to /opt/homebrew/lib, which is not on the default dlopen path.
    private static readonly string[] VipsNames =
        ["libvips.so.42", "libvips.so", "libvips.42.dylib", "libvips.dylib", "/opt/homebrew/lib/libvips.42.dylib",
            "libvips-42.dll"];
    private static readonly string[] GObjectNames =
        ["libgobject-2.0.so.0", "libgobject-2.0.0.dylib", "/opt/homebrew/lib/libgobject-2.0.0.dylib", "libgobject-2.0-0.dll"];
    private static readonly string[] GLibNames =
        ["libglib-2.0.so.0", "libglib-2.0.0.dylib", "/opt/homebrew/lib/libglib-2.0.0.dylib", "libglib-2.0-0.dll"];

    private static string InstallHint =>
        OperatingSystem.IsMacOS() ? "brew install vips"
        : OperatingSystem.IsWindows() ? "install libvips (https://www.libvips.org/install.html) and put its bin folder on PATH"
        : "apt-get install -y libvips42";

    /// <summary>
    /// Reads and clears libvips' error buffer. The buffer is process-wide, so under concurrent failures
    /// a message may include text from another thread's failure.
    /// </summary>
    internal static unsafe string TakeError()
    {
        var text = Marshal.PtrToStringUTF8((nint)VipsApi.vips_error_buffer())?.Trim();
        VipsApi.vips_error_clear();
        return string.IsNullOrEmpty(text) ? "libvips failed without a message" : text;
    }

    /// <summary>Number of live libvips objects (images, operations...): lets tests prove nothing leaks.</summary>
    internal static unsafe long LiveObjectCount()
    {
        EnsureAvailable();
        long count = 0;
        VipsApi.vips_object_map(&CountObject, &count, null);
        return count;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static unsafe void* CountObject(void* item, void* counter, void* unused)
    {
        (*(long*)counter)++;
        return null;
    }
}

/// <summary>libvips failed; the message is libvips' own.</summary>
internal class VipsException(string message) : Exception(message);

internal sealed class VipsUnavailableException(string message) : VipsException(message);
