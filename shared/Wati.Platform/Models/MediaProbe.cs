using System.Buffers.Binary;
using Wati.Platform.Uploads;

namespace Wati.Platform.Models;

/// <summary>What a model output is, by its bytes: a still image, a video (moving pictures) or audio.</summary>
public enum MediaKind
{
    /// <summary>A still JPEG, PNG or WebP (or a one-frame GIF).</summary>
    Image,

    /// <summary>MP4/QuickTime, WebM/Matroska, Ogg Theora, an animated WebP or a GIF of more than one frame.</summary>
    Video,

    /// <summary>WAV, MP3, Ogg (Vorbis/Opus), FLAC or an M4A.</summary>
    Audio,
}

/// <summary>A probed output: its kind, content type and extension (no dot), and its pixel size when the header gives it cheaply (else 0).</summary>
public sealed record MediaInfo(MediaKind Kind, string ContentType, string Extension, int Width = 0, int Height = 0);

/// <summary>
/// Recognises a downloaded model output by its first bytes, never by a URL or a server's content type
/// (issue 18, item 4: outputs are served with the right content type). Signatures:
/// JPEG/PNG/WebP through <see cref="ImageProbe"/>, with a WebP whose <c>VP8X</c> flags have the animation bit
/// (0x02) taken as video (WebP container specification, "Extended File Format");
/// ISO base media (MP4, QuickTime, M4A) by an <c>ftyp</c> box at offset 4 and its major brand (ISO/IEC 14496-12 §4.3);
/// WebM/Matroska by the EBML magic <c>1A 45 DF A3</c> and the header's DocType element <c>42 82</c> (RFC 8794 §11.2.6);
/// GIF by <c>GIF87a</c>/<c>GIF89a</c>, its frames counted by walking its blocks (GIF89a specification §§18-24);
/// WAV by <c>RIFF</c>…<c>WAVE</c>; MP3 by an <c>ID3</c> tag or an MPEG audio frame sync (11 set bits, layer not 0);
/// Ogg by <c>OggS</c>, Theora (<c>0x80 "theora"</c> in the first page) meaning video; FLAC by <c>fLaC</c>.
/// </summary>
public static class MediaProbe
{
    private static ReadOnlySpan<byte> EbmlMagic => [0x1A, 0x45, 0xDF, 0xA3];

    private static ReadOnlySpan<byte> DocTypeId => [0x42, 0x82];

    // A Theora stream's identification header packet: type 0x80, then "theora".
    private static ReadOnlySpan<byte> TheoraHeader => [0x80, (byte)'t', (byte)'h', (byte)'e', (byte)'o', (byte)'r', (byte)'a'];

    /// <summary>What <paramref name="data"/> is, or null when it is none of the formats above.</summary>
    public static MediaInfo? TryProbe(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith("RIFF"u8) && data.Length >= 12 && data.Slice(8, 4).SequenceEqual("WAVE"u8))
            return new MediaInfo(MediaKind.Audio, "audio/wav", "wav");
        if (ImageProbe.TryProbe(data) is { } image)
            return IsAnimatedWebP(data)
                ? new MediaInfo(MediaKind.Video, image.ContentType, image.Extension, image.Width, image.Height)
                : new MediaInfo(MediaKind.Image, image.ContentType, image.Extension, image.Width, image.Height);
        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8)) return IsoMedia(data.Slice(8, 4), data);
        if (data.StartsWith(EbmlMagic)) return Matroska(data);
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return Gif(data);
        if (data.StartsWith("OggS"u8))
            return data[..Math.Min(data.Length, 64)].IndexOf(TheoraHeader) >= 0
                ? new MediaInfo(MediaKind.Video, "video/ogg", "ogv")
                : new MediaInfo(MediaKind.Audio, "audio/ogg", "ogg");
        if (data.StartsWith("fLaC"u8)) return new MediaInfo(MediaKind.Audio, "audio/flac", "flac");
        if (data.StartsWith("ID3"u8) || IsMpegAudioFrame(data)) return new MediaInfo(MediaKind.Audio, "audio/mpeg", "mp3");
        return null;
    }

    /// <summary>A WebP in the extended format whose animation flag is set.</summary>
    public static bool IsAnimatedWebP(ReadOnlySpan<byte> data) =>
        data.Length >= 21 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8) &&
        data.Slice(12, 4).SequenceEqual("VP8X"u8) && (data[20] & 0x02) != 0;

    private static MediaInfo IsoMedia(ReadOnlySpan<byte> brand, ReadOnlySpan<byte> data)
    {
        if (brand.SequenceEqual("M4A "u8) || brand.SequenceEqual("M4B "u8)) return new MediaInfo(MediaKind.Audio, "audio/mp4", "m4a");
        var (width, height) = IsoFrameSize(data);
        return brand.SequenceEqual("qt  "u8)
            ? new MediaInfo(MediaKind.Video, "video/quicktime", "mov", width, height)
            : new MediaInfo(MediaKind.Video, "video/mp4", "mp4", width, height);
    }

    /// <summary>
    /// The frame size of an ISO media file (MP4, QuickTime): the first track header (<c>moov/trak/tkhd</c>) whose
    /// width and height are not 0 (an audio track's are), read as 16.16 fixed point (ISO/IEC 14496-12 §8.3.2,
    /// TrackHeaderBox; the box sizes of §4.2, a size of 1 meaning a 64-bit size follows and 0 "to the end").
    /// (0, 0) when there is none or a box runs past the data. The <c>moov</c> box may come after the media data.
    /// </summary>
    public static (int Width, int Height) IsoFrameSize(ReadOnlySpan<byte> data) => TrackSize(data, depth: 0);

    private static (int Width, int Height) TrackSize(ReadOnlySpan<byte> data, int depth)
    {
        var pos = 0;
        while (pos + 8 <= data.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var header = 8;
            if (size == 1)
            {
                if (pos + 16 > data.Length) break;
                size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[(pos + 8)..]), long.MaxValue);
                header = 16;
            }
            else if (size == 0) size = data.Length - pos;
            if (size < header || size > data.Length - pos) break;
            var type = data.Slice(pos + 4, 4);
            var body = data.Slice(pos + header, (int)size - header);
            if ((depth == 0 && type.SequenceEqual("moov"u8)) || (depth == 1 && type.SequenceEqual("trak"u8)))
            {
                if (TrackSize(body, depth + 1) is { Width: > 0 } found) return found;
            }
            else if (depth == 2 && type.SequenceEqual("tkhd"u8) && body.Length >= 4)
            {
                // version and flags (4), the times, track id and duration (20 bytes, 32 in version 1), then
                // reserved (8), layer, alternate group, volume, reserved (2 each) and the matrix (36): width, height.
                var at = body[0] == 1 ? 88 : 76;
                if (body.Length >= at + 8)
                {
                    var width = BinaryPrimitives.ReadUInt32BigEndian(body[at..]) >> 16;
                    var height = BinaryPrimitives.ReadUInt32BigEndian(body[(at + 4)..]) >> 16;
                    if (width > 0 && height > 0) return ((int)width, (int)height);
                }
            }
            pos += (int)size;
        }
        return (0, 0);
    }

    /// <summary>WebM unless the EBML header's DocType says <c>matroska</c> (the header is at most a few dozen bytes).</summary>
    private static MediaInfo Matroska(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(data.Length, 64)];
        var docType = head.IndexOf(DocTypeId);
        var isMatroska = docType >= 0 && head[(docType + 2)..].IndexOf("matroska"u8) is >= 0 and <= 2;
        return isMatroska ? new MediaInfo(MediaKind.Video, "video/x-matroska", "mkv") : new MediaInfo(MediaKind.Video, "video/webm", "webm");
    }

    /// <summary>The logical screen size; a video when the blocks hold more than one image descriptor.</summary>
    private static MediaInfo? Gif(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13) return null;
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        if (width == 0 || height == 0) return null;
        var frames = CountGifFrames(data, stopAfter: 2);
        return new MediaInfo(frames > 1 ? MediaKind.Video : MediaKind.Image, "image/gif", "gif", width, height);
    }

    /// <summary>
    /// Counts image descriptors (<c>0x2C</c>) by skipping the colour tables and every block by its sizes
    /// (extensions <c>0x21</c> and image data are chains of sub-blocks ended by a 0 size); stops at the
    /// trailer <c>0x3B</c>, the end of the data, a byte that is no block, or after <paramref name="stopAfter"/>.
    /// </summary>
    public static int CountGifFrames(ReadOnlySpan<byte> data, int stopAfter = int.MaxValue)
    {
        if (data.Length < 13) return 0;
        var pos = 13 + ColourTableBytes(data[10]);
        var frames = 0;
        while (pos < data.Length && frames < stopAfter)
        {
            switch (data[pos])
            {
                case 0x21 when pos + 2 <= data.Length:
                    pos = SkipSubBlocks(data, pos + 2);
                    break;
                case 0x2C when pos + 10 <= data.Length:
                    frames++;
                    pos += 10 + ColourTableBytes(data[pos + 9]) + 1; // descriptor, local table, LZW minimum code size
                    pos = SkipSubBlocks(data, pos);
                    break;
                default:
                    return frames; // the trailer, or bytes that are not a block
            }
        }
        return frames;
    }

    private static int ColourTableBytes(byte packed) => (packed & 0x80) != 0 ? 3 << ((packed & 0x07) + 1) : 0;

    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int pos)
    {
        while (pos < data.Length && data[pos] != 0) pos += data[pos] + 1;
        return pos + 1;
    }

    /// <summary>
    /// An MPEG audio frame header: 11 sync bits, a version that is not reserved (01), a layer that is not
    /// reserved (00: that is AAC's ADTS), a bitrate index that is not "bad" (1111) and a sample rate that is not reserved (11).
    /// </summary>
    private static bool IsMpegAudioFrame(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 0xFF && (data[1] & 0xE0) == 0xE0 && (data[1] & 0x18) != 0x08 &&
        (data[1] & 0x06) != 0 && (data[2] & 0xF0) != 0xF0 && (data[2] & 0x0C) != 0x0C;

    /// <summary>The media kind each output of a catalogue model of <paramref name="outputKind"/> must be.</summary>
    public static MediaKind KindOfOutput(Catalog.OutputKind outputKind) => outputKind switch
    {
        Catalog.OutputKind.Video => MediaKind.Video,
        Catalog.OutputKind.Audio => MediaKind.Audio,
        _ => MediaKind.Image,
    };

    /// <summary>The media kind a catalogue output kind expects: <c>image</c> and <c>images</c> an image, <c>video</c>, <c>audio</c>; null for anything else.</summary>
    public static MediaKind? KindOfOutput(string outputKind) => outputKind.ToLowerInvariant() switch
    {
        "image" or "images" => MediaKind.Image,
        "video" => MediaKind.Video,
        "audio" => MediaKind.Audio,
        _ => null,
    };
}
