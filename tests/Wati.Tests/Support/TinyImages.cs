using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Wati.Tests.Support;

/// <summary>Small but real images for upload tests: any decoder accepts them, not just our header probe.</summary>
public static class TinyImages
{
    /// <summary>A 3x2 grayscale baseline JPEG, made once with <c>vips jpegsave --strip --optimize-coding</c>.</summary>
    public static byte[] Jpeg3x2 { get; } = Convert.FromBase64String(
        "/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAACAAMBAREA/8QAFAABAA" +
        "AAAAAAAAAAAAAAAAAAB//EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP3//2Q==");

    /// <summary>An 8-bit RGB PNG; <paramref name="seed"/> varies the pixels so two images differ in bytes.</summary>
    public static byte[] Png(int width, int height, byte seed = 0)
    {
        // Each scanline: filter type 0 (none), then RGB triples.
        var raw = new byte[height * (1 + width * 3)];
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            for (var x = 0; x < width; x++)
            {
                raw[row + 1 + x * 3] = (byte)(seed + x * 40);
                raw[row + 2 + x * 3] = (byte)(seed + y * 40);
                raw[row + 3 + x * 3] = seed;
            }
        }

        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);

        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB; compression, filter and interlace stay 0

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)data.Length);
        png.Write(u32);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        // The CRC covers the chunk type and data, not the length.
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typed));
        png.Write(u32);
    }

    /// <summary>CRC-32 (IEEE, reflected, polynomial 0xEDB88320) as PNG specifies; bitwise is fast enough here.</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
