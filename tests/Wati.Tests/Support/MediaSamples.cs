using System.Buffers.Binary;
using System.Text;

namespace Wati.Tests.Support;

/// <summary>
/// The first bytes of video and audio files, written by hand from each format's layout (cited on
/// <see cref="Wati.Platform.Models.MediaProbe"/>), so no media file lives in the repository.
/// </summary>
public static class MediaSamples
{
    /// <summary>An ISO base media file: a 32-byte <c>ftyp</c> box of <paramref name="brand"/>, then an empty <c>mdat</c>.</summary>
    public static byte[] IsoMedia(string brand = "isom") =>
        Concat(Box("ftyp", Ascii(brand), [0, 0, 2, 0], Ascii("isomiso2avc1mp41")), Box("mdat"));

    /// <summary>An EBML header of <paramref name="docType"/> (<c>webm</c> or <c>matroska</c>), then the start of a Segment.</summary>
    public static byte[] Ebml(string docType = "webm")
    {
        byte[] body =
        [
            0x42, 0x86, 0x81, 0x01, // EBMLVersion 1
            0x42, 0xF7, 0x81, 0x01, // EBMLReadVersion 1
            0x42, 0xF2, 0x81, 0x04, // EBMLMaxIDLength 4
            0x42, 0xF3, 0x81, 0x08, // EBMLMaxSizeLength 8
            0x42, 0x82, (byte)(0x80 | docType.Length), .. Ascii(docType), // DocType
            0x42, 0x87, 0x81, 0x04, // DocTypeVersion
            0x42, 0x85, 0x81, 0x02, // DocTypeReadVersion
        ];
        return [0x1A, 0x45, 0xDF, 0xA3, (byte)(0x80 | body.Length), .. body, 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    }

    /// <summary>A GIF89a of <paramref name="frames"/> 1x1 frames on a <paramref name="width"/> x <paramref name="height"/> screen, looping.</summary>
    public static byte[] Gif(int frames, ushort width = 40, ushort height = 30)
    {
        var b = new List<byte>();
        b.AddRange(Ascii("GIF89a"));
        b.AddRange(U16(width));
        b.AddRange(U16(height));
        b.AddRange([0x80, 0, 0]); // global colour table of 2 entries, background 0, no aspect
        b.AddRange([0, 0, 0, 255, 255, 255]);
        b.AddRange([0x21, 0xFF, 0x0B, .. Ascii("NETSCAPE2.0"), 0x03, 0x01, 0x00, 0x00, 0x00]); // loop forever
        for (var i = 0; i < frames; i++)
        {
            b.AddRange([0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00]); // graphic control: 100 ms
            b.AddRange([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x00]); // image descriptor 1x1 at 0,0, no local table
            b.AddRange([0x02, 0x02, 0x4C, 0x01, 0x00]); // LZW minimum code size 2, one sub-block of 2 bytes, terminator
        }
        b.Add(0x3B);
        return [.. b];
    }

    /// <summary>The start of an Ogg stream whose first packet is <paramref name="packet"/> (e.g. <c>\x01vorbis</c>, <c>\x80theora</c>).</summary>
    public static byte[] Ogg(byte[] packet) =>
    [
        .. Ascii("OggS"), 0x00, 0x02, // version, flags: beginning of stream
        0, 0, 0, 0, 0, 0, 0, 0, // granule position
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // serial, page sequence, CRC
        0x01, (byte)packet.Length, // one segment
        .. packet,
    ];

    /// <summary>An ID3v2.3 tag header with no frames, then an MPEG-1 Layer III frame header.</summary>
    public static byte[] Mp3WithId3 { get; } = [.. Ascii("ID3"), 0x03, 0x00, 0x00, 0, 0, 0, 0, 0xFF, 0xFB, 0x90, 0x64];

    /// <summary>An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz) with no tag before it, then zeroes.</summary>
    public static byte[] Mp3Frame { get; } = [0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0];

    /// <summary>An AAC ADTS header: the same sync bits as MPEG audio, but layer 00. Not an MP3.</summary>
    public static byte[] AdtsAac { get; } = [0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC];

    /// <summary>A WebP in the extended format (<c>VP8X</c>) with the given flags and canvas size, nothing after.</summary>
    public static byte[] WebPExtended(byte flags, int width, int height)
    {
        var b = new byte[30];
        Ascii("RIFF").CopyTo(b, 0);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 22);
        Ascii("WEBPVP8X").CopyTo(b, 8);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(16), 10);
        b[20] = flags;
        WriteU24(b.AsSpan(24), width - 1);
        WriteU24(b.AsSpan(27), height - 1);
        return b;
    }

    private static void WriteU24(Span<byte> to, int v)
    {
        to[0] = (byte)v;
        to[1] = (byte)(v >> 8);
        to[2] = (byte)(v >> 16);
    }

    private static byte[] Box(string type, params byte[][] parts)
    {
        var payload = parts.SelectMany(p => p).ToArray();
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(box, box.Length);
        Ascii(type).CopyTo(box, 4);
        payload.CopyTo(box, 8);
        return box;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] U16(ushort v) => [(byte)v, (byte)(v >> 8)];

    public static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
}
