using System.Buffers.Binary;

namespace Wati.Platform.Uploads;

/// <summary>
/// Identifies JPEG, PNG and WebP by their bytes and reads the pixel size from the header only, so an
/// upload can be refused by format or pixel count before anything is decoded (a few bytes can claim a
/// 60000x60000 image; decoding it would be the attack).
/// </summary>
public static class ImageProbe
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static ImageInfo? TryProbe(ReadOnlySpan<byte> data)
    {
        var info = data switch
        {
            [0xFF, 0xD8, 0xFF, ..] => ProbeJpeg(data),
            _ when data.StartsWith(PngSignature) => ProbePng(data),
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] =>
                ProbeWebP(data),
            _ => null,
        };
        return info is { Width: > 0, Height: > 0 } ? info : null;
    }

    private static ImageInfo? ProbeJpeg(ReadOnlySpan<byte> data)
    {
        var pos = 2; // after SOI
        while (true)
        {
            // Every segment starts with 0xFF; anything else here means we lost sync (corrupt file).
            if (pos >= data.Length || data[pos] != 0xFF) return null;
            // Any number of 0xFF fill bytes may precede the marker code.
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) return null;
            var marker = data[pos++];

            // Standalone markers carry no length: TEM, RSTn, SOI. EOI or SOS before a frame header means
            // there is no size to find; 0x00 is byte stuffing and never a marker here.
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8)) continue;
            if (marker is 0xD9 or 0xDA or 0x00) return null;

            if (pos + 2 > data.Length) return null;
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) return null;

            if (IsStartOfFrame(marker))
            {
                // SOFn payload: precision (1), height (2), width (2), components... A frame header cut
                // short means a truncated file, even if the size fields made it.
                if (length < 8 || pos + length > data.Length) return null;
                int height = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 3)..]);
                int width = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 5)..]);
                return new ImageInfo(ImageFormat.Jpeg, width, height);
            }
            pos += length;
        }
    }

    /// <summary>
    /// Counts the scans (SOS segments) of a JPEG from its markers, without decoding: each marker
    /// segment is skipped by its length, and after each SOS header the entropy-coded data is skipped
    /// up to the next real marker, stepping over byte stuffing (<c>FF 00</c>), restart markers
    /// (<c>FF D0</c>..<c>FF D7</c>) and fill bytes (ITU T.81 B.1.1.5, B.2.4). Counting ends at EOI, at
    /// the end of the data, where the markers stop making sense (the decoder refuses such a file), or
    /// once <paramref name="stopAfter"/> scans are seen. 0 for anything that does not start with SOI.
    /// </summary>
    public static int CountJpegScans(ReadOnlySpan<byte> data, int stopAfter = int.MaxValue)
    {
        if (data is not [0xFF, 0xD8, ..]) return 0;
        var pos = 2;
        var scans = 0;
        while (pos < data.Length && data[pos] == 0xFF)
        {
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) break;
            var marker = data[pos++];
            if (marker == 0xD9) break; // EOI
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8)) continue; // TEM, RSTn, SOI: no length
            if (pos + 2 > data.Length) break;
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) break;
            pos += length;
            if (marker != 0xDA) continue;
            if (++scans >= stopAfter) break;
            pos = SkipEntropyCodedData(data, pos);
        }
        return scans;
    }

    /// <summary>The position of the <c>FF</c> that starts the first marker at or after <paramref name="pos"/> in entropy-coded data (the data's length when there is none).</summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int pos)
    {
        while (pos < data.Length)
        {
            var ff = data[pos..].IndexOf((byte)0xFF);
            if (ff < 0) return data.Length;
            pos += ff;
            var next = pos + 1;
            while (next < data.Length && data[next] == 0xFF) next++; // fill bytes before a marker
            if (next >= data.Length) return data.Length;
            var code = data[next];
            if (code is 0x00 or (>= 0xD0 and <= 0xD7))
            {
                pos = next + 1; // a stuffed FF data byte, or a restart marker inside the scan
                continue;
            }
            return next - 1;
        }
        return pos;
    }

    /// <summary>Bits per channel of a PNG (its IHDR bit depth: 1, 2, 4, 8 or 16); 0 when <paramref name="data"/> is not a PNG.</summary>
    public static int PngBitDepth(ReadOnlySpan<byte> data) =>
        data.Length >= 33 && data.StartsWith(PngSignature) && data.Slice(12, 4).SequenceEqual("IHDR"u8) ? data[24] : 0;

    // C4 (DHT), C8 (JPG extension) and CC (DAC) sit in the SOF range but are not frame headers.
    private static bool IsStartOfFrame(byte marker) =>
        marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    private static ImageInfo? ProbePng(ReadOnlySpan<byte> data)
    {
        // Signature (8) + IHDR length (4) + type (4) + data (13) + CRC (4): IHDR must be the first chunk.
        if (data.Length < 33) return null;
        if (BinaryPrimitives.ReadUInt32BigEndian(data[8..]) != 13) return null;
        if (!data.Slice(12, 4).SequenceEqual("IHDR"u8)) return null;
        var width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        // The PNG spec caps both at 2^31-1; a larger value is a corrupt or hostile header.
        if (width > int.MaxValue || height > int.MaxValue) return null;
        return new ImageInfo(ImageFormat.Png, (int)width, (int)height);
    }

    private static ImageInfo? ProbeWebP(ReadOnlySpan<byte> data)
    {
        // RIFF header (12) + first chunk fourcc (4) + chunk size (4); the payload starts at 20.
        if (data.Length < 20) return null;
        var chunk = data.Slice(12, 4);
        var payload = data[20..];

        if (chunk.SequenceEqual("VP8 "u8))
        {
            // Frame tag (3 bytes, bit 0 clear on key frames), start code 9D 01 2A, then 14-bit width
            // and height; the top two bits of each are the upscaling hint, not part of the size.
            if (payload.Length < 10 || (payload[0] & 1) != 0) return null;
            if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A) return null;
            var width = BinaryPrimitives.ReadUInt16LittleEndian(payload[6..]) & 0x3FFF;
            var height = BinaryPrimitives.ReadUInt16LittleEndian(payload[8..]) & 0x3FFF;
            return new ImageInfo(ImageFormat.WebP, width, height);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            // Signature 0x2F, then 14 bits width-1, 14 bits height-1, 1 bit alpha, 3 bits version (0).
            if (payload.Length < 5 || payload[0] != 0x2F) return null;
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
            if (bits >> 29 != 0) return null;
            var width = (int)(bits & 0x3FFF) + 1;
            var height = (int)((bits >> 14) & 0x3FFF) + 1;
            return new ImageInfo(ImageFormat.WebP, width, height);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            // Flags (1), reserved (3), then the canvas size as 24-bit width-1 and height-1.
            if (payload.Length < 10) return null;
            var width = ReadUInt24(payload[4..]) + 1;
            var height = ReadUInt24(payload[7..]) + 1;
            return new ImageInfo(ImageFormat.WebP, width, height);
        }

        return null;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> b) => b[0] | b[1] << 8 | b[2] << 16;
}
