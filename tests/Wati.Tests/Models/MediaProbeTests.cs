using NetVips;
using Wati.Platform.Models;
using Wati.Tests.Support;
using static Wati.Tests.Support.MediaSamples;

namespace Wati.Tests.Models;

/// <summary>Issue 18, item 4: a model's output is recognised as image, video or audio by its bytes alone.</summary>
[Collection(LibVipsCollection.Name)]
public sealed class MediaProbeTests
{
    public static TheoryData<string, byte[], MediaInfo> Samples => new()
    {
        { "mp4", IsoMedia("isom"), new MediaInfo(MediaKind.Video, "video/mp4", "mp4") },
        { "mp4 (mp42 brand)", IsoMedia("mp42"), new MediaInfo(MediaKind.Video, "video/mp4", "mp4") },
        { "quicktime", IsoMedia("qt  "), new MediaInfo(MediaKind.Video, "video/quicktime", "mov") },
        { "m4a", IsoMedia("M4A "), new MediaInfo(MediaKind.Audio, "audio/mp4", "m4a") },
        { "webm", Ebml("webm"), new MediaInfo(MediaKind.Video, "video/webm", "webm") },
        { "matroska", Ebml("matroska"), new MediaInfo(MediaKind.Video, "video/x-matroska", "mkv") },
        { "animated gif", Gif(frames: 3), new MediaInfo(MediaKind.Video, "image/gif", "gif", 40, 30) },
        { "still gif", Gif(frames: 1, width: 7, height: 5), new MediaInfo(MediaKind.Image, "image/gif", "gif", 7, 5) },
        { "animated webp (VP8X animation flag)", WebPExtended(0x02, 300, 200), new MediaInfo(MediaKind.Video, "image/webp", "webp", 300, 200) },
        { "still extended webp (alpha flag only)", WebPExtended(0x10, 300, 200), new MediaInfo(MediaKind.Image, "image/webp", "webp", 300, 200) },
        { "png", TinyImages.Png(6, 4), new MediaInfo(MediaKind.Image, "image/png", "png", 6, 4) },
        { "jpeg", TinyImages.Jpeg3x2, new MediaInfo(MediaKind.Image, "image/jpeg", "jpg", 3, 2) },
        { "wav", Wati.Platform.Models.Local.LocalAudio.ToneWav("x", 0.1), new MediaInfo(MediaKind.Audio, "audio/wav", "wav") },
        { "mp3 with an ID3 tag", Mp3WithId3, new MediaInfo(MediaKind.Audio, "audio/mpeg", "mp3") },
        { "mp3 frame sync", Mp3Frame, new MediaInfo(MediaKind.Audio, "audio/mpeg", "mp3") },
        { "ogg vorbis", Ogg([0x01, .. Ascii("vorbis"), 0, 0, 0, 0]), new MediaInfo(MediaKind.Audio, "audio/ogg", "ogg") },
        { "ogg opus", Ogg(Ascii("OpusHead")), new MediaInfo(MediaKind.Audio, "audio/ogg", "ogg") },
        { "ogg theora", Ogg([0x80, .. Ascii("theora"), 3, 2, 1]), new MediaInfo(MediaKind.Video, "video/ogg", "ogv") },
        { "flac", [.. Ascii("fLaC"), 0, 0, 0, 0x22], new MediaInfo(MediaKind.Audio, "audio/flac", "flac") },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Each_format_is_recognised_by_its_first_bytes(string format, byte[] bytes, MediaInfo expected)
    {
        Assert.True(MediaProbe.TryProbe(bytes) == expected, $"{format}: {MediaProbe.TryProbe(bytes)}");
    }

    public static TheoryData<string, byte[]> NotMedia => new()
    {
        { "empty", [] },
        { "text", Ascii("<html>not found</html>") },
        { "json", Ascii("{\"detail\":\"x\"}") },
        { "avi (RIFF but not WAVE or WEBP)", [.. Ascii("RIFF"), 4, 0, 0, 0, .. Ascii("AVI ")] },
        { "aac adts (sync bits, layer 00)", AdtsAac },
        { "ftyp cut short", [0, 0, 0, 0x20, .. Ascii("ftyp")] },
        { "gif without a screen size", [.. Ascii("GIF89a"), 0, 0, 0, 0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(NotMedia))]
    public void Anything_else_is_not_media(string what, byte[] bytes)
    {
        Assert.True(MediaProbe.TryProbe(bytes) is null, $"{what}: {MediaProbe.TryProbe(bytes)}");
    }

    [Fact]
    public void Files_libvips_writes_are_told_apart_still_from_animated()
    {
        using var frame = Image.Black(8, 6, bands: 3);
        using var roll = Image.Arrayjoin([frame, frame + 80, frame + 160], across: 1).Cast(Enums.BandFormat.Uchar).Mutate(m =>
        {
            m.Set(GValue.GIntType, "page-height", 6);
            m.Set(GValue.ArrayIntType, "delay", new[] { 100, 100, 100 });
        });

        Assert.Equal(new MediaInfo(MediaKind.Video, "image/webp", "webp", 8, 6), MediaProbe.TryProbe(roll.WebpsaveBuffer()));
        Assert.Equal(new MediaInfo(MediaKind.Video, "image/gif", "gif", 8, 6), MediaProbe.TryProbe(roll.GifsaveBuffer()));
        Assert.Equal(new MediaInfo(MediaKind.Image, "image/webp", "webp", 8, 6), MediaProbe.TryProbe(frame.Cast(Enums.BandFormat.Uchar).WebpsaveBuffer()));
        Assert.Equal(3, MediaProbe.CountGifFrames(roll.GifsaveBuffer()));
        Assert.Equal(1, MediaProbe.CountGifFrames(frame.Cast(Enums.BandFormat.Uchar).GifsaveBuffer()));
    }

    [Theory]
    [InlineData("image", MediaKind.Image)]
    [InlineData("images", MediaKind.Image)]
    [InlineData("video", MediaKind.Video)]
    [InlineData("audio", MediaKind.Audio)]
    public void A_catalogue_output_kind_expects_its_media(string outputKind, MediaKind expected) =>
        Assert.Equal(expected, MediaProbe.KindOfOutput(outputKind));

    [Fact]
    public void An_unknown_output_kind_expects_nothing() => Assert.Null(MediaProbe.KindOfOutput("hologram"));
}
