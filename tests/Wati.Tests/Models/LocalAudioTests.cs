using System.Buffers.Binary;
using System.Text;
using Wati.Platform.Models;
using Wati.Platform.Models.Local;

namespace Wati.Tests.Models;

/// <summary>Issue 18, item 3: the local audio stand-in writes a canonical PCM WAV whose tone comes from the inputs.</summary>
public sealed class LocalAudioTests
{
    /// <summary>The RIFF/WAVE header fields, read back by offset as the layout defines them (not by the writer's code).</summary>
    private sealed record WavHeader(string Riff, int RiffSize, string Wave, string Fmt, int FmtSize, short Format, short Channels,
        int SampleRate, int ByteRate, short BlockAlign, short BitsPerSample, string Data, int DataSize)
    {
        public static WavHeader Read(byte[] b) => new(
            Encoding.ASCII.GetString(b, 0, 4), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(4)), Encoding.ASCII.GetString(b, 8, 4),
            Encoding.ASCII.GetString(b, 12, 4), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(16)), BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(20)),
            BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(22)), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(24)),
            BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(28)), BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(32)),
            BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(34)), Encoding.ASCII.GetString(b, 36, 4), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(40)));
    }

    [Fact]
    public void The_wav_header_says_pcm_16_bit_mono_16_khz_and_two_seconds_of_data_follow_it()
    {
        var wav = LocalAudio.ToneWav("prompt=rain");

        var h = WavHeader.Read(wav);
        Assert.Equal(new WavHeader("RIFF", wav.Length - 8, "WAVE", "fmt ", 16, 1, 1, 16_000, 32_000, 2, 16, "data", 64_000), h);
        Assert.Equal(44 + h.DataSize, wav.Length);
        // Duration = data bytes / byte rate.
        Assert.Equal(2.0, (double)h.DataSize / h.ByteRate);
        Assert.Equal(new MediaInfo(MediaKind.Audio, "audio/wav", "wav"), MediaProbe.TryProbe(wav));
    }

    [Theory]
    [InlineData(0.5, 8_000)]
    [InlineData(3, 44_100)]
    public void Other_lengths_and_rates_are_stated_in_the_header(double seconds, int rate)
    {
        var h = WavHeader.Read(LocalAudio.ToneWav("x", seconds, rate));
        Assert.Equal(rate, h.SampleRate);
        Assert.Equal(seconds, (double)h.DataSize / h.ByteRate, precision: 4);
    }

    [Fact]
    public void The_tone_has_the_pitch_of_its_seed_and_fades_in_from_silence()
    {
        var wav = LocalAudio.ToneWav("prompt=rain");
        var samples = Enumerable.Range(0, (wav.Length - 44) / 2).Select(i => BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(44 + 2 * i))).ToArray();

        // Zero crossings (rising) over the steady middle second count the cycles: the frequency, within a cycle.
        var middle = samples[8_000..24_000];
        var rising = Enumerable.Range(1, middle.Length - 1).Count(i => middle[i - 1] < 0 && middle[i] >= 0);
        var frequency = LocalAudio.FrequencyOf("prompt=rain");
        Assert.InRange((double)rising, frequency - 1, frequency + 1);
        Assert.InRange(frequency, LocalAudio.MinFrequency, LocalAudio.MaxFrequency);
        Assert.Equal(0, samples[0]);
        Assert.True(Math.Abs(samples[^1]) < 200, $"last sample {samples[^1]}");
        Assert.True(middle.Max() > 15_000, "the tone is audible");
    }

    [Fact]
    public void The_same_inputs_give_the_same_file_and_other_inputs_another_pitch()
    {
        Assert.Equal(LocalAudio.ToneWav("prompt=rain"), LocalAudio.ToneWav("prompt=rain"));
        Assert.NotEqual(LocalAudio.FrequencyOf("prompt=rain"), LocalAudio.FrequencyOf("prompt=snow"));
        Assert.NotEqual(LocalAudio.ToneWav("prompt=rain"), LocalAudio.ToneWav("prompt=snow"));
    }

    [Fact]
    public void As_an_output_it_is_audio_wav_without_a_pixel_size()
    {
        var wav = LocalAudio.ToneWav("a");
        Assert.Equal(("audio/wav", "wav", 0, 0), (LocalAudio.ToOutput(wav).ContentType, LocalAudio.ToOutput(wav).Extension,
            LocalAudio.ToOutput(wav).Width, LocalAudio.ToOutput(wav).Height));
    }
}
