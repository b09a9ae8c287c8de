using System.Buffers.Binary;

namespace FakeReplicate;

/// <summary>
/// The pixel size of a PNG or JPEG input, from its header, so outputs can be sized as the real models
/// size theirs (gfpgan: input x scale; an edit: the input's size).
/// </summary>
internal static class FakeImageSize
{
    public static (int Width, int Height)? Of(byte[] data)
    {
        if (data.Length >= 24 && data[0] == 0x89 && data[1] == (byte)'P')
            return ((int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(16)), (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(20)));
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8) return null;
        var pos = 2;
        while (pos + 9 < data.Length && data[pos] == 0xFF)
        {
            var marker = data[pos + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos + 2));
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): height then width.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return (BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos + 7)), BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos + 5)));
            pos += 2 + length;
        }
        return null;
    }
}
