using System.Security.Cryptography;
using System.Text;

namespace Wati.Platform.Models.Local;

/// <summary>
/// The local stand-in for an <c>audio</c> model (issue 18, item 3: "for <c>audio</c> a short WAV"): a sine
/// tone whose pitch derives from the call's inputs, so the same call always sounds the same and different
/// calls differ, with 10 ms fades so it starts and stops without a click.
/// The file is canonical WAV, a RIFF container (Microsoft/IBM "Multimedia Programming Interface and Data
/// Specifications 1.0", 1991, the RIFF and WAVE chapters): the 12-byte RIFF header (<c>"RIFF"</c>, size of
/// what follows, <c>"WAVE"</c>), a 16-byte <c>fmt </c> chunk for PCM (format tag 1, channels, sample rate,
/// byte rate, block align, bits per sample) and the <c>data</c> chunk of little-endian samples: 44 bytes
/// before the first sample.
/// </summary>
internal static class LocalAudio
{
    /// <summary>Bytes before the first sample.</summary>
    public const int HeaderBytes = 44;

    /// <summary>The lowest and highest pitch a seed can give, in Hz (A3 to A5).</summary>
    public const double MinFrequency = 220, MaxFrequency = 880;

    /// <summary>A PCM 16-bit mono WAV of a tone at <see cref="FrequencyOf"/>(<paramref name="seed"/>).</summary>
    /// <param name="seed">The call's inputs in a stable order (e.g. <c>prompt=rain;seconds=2</c>).</param>
    /// <param name="seconds">Length, more than 0 and at most 60.</param>
    /// <param name="sampleRate">Samples per second, 8000..48000.</param>
    public static byte[] ToneWav(string seed, double seconds = 2, int sampleRate = 16_000)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, 60);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8_000);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, 48_000);

        const short channels = 1, bitsPerSample = 16;
        const short blockAlign = channels * bitsPerSample / 8;
        var samples = (int)Math.Round(seconds * sampleRate);
        var dataBytes = samples * blockAlign;
        var frequency = FrequencyOf(seed);
        var fade = Math.Max(1, sampleRate / 100);

        using var stream = new MemoryStream(HeaderBytes + dataBytes);
        using (var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true)) // BinaryWriter writes little-endian, as RIFF wants
        {
            w.Write("RIFF"u8);
            w.Write(HeaderBytes - 8 + dataBytes); // RIFF chunk size: everything after this field
            w.Write("WAVE"u8);
            w.Write("fmt "u8);
            w.Write(16); // fmt chunk size for PCM
            w.Write((short)1); // WAVE_FORMAT_PCM
            w.Write(channels);
            w.Write(sampleRate);
            w.Write(sampleRate * blockAlign); // byte rate
            w.Write(blockAlign);
            w.Write(bitsPerSample);
            w.Write("data"u8);
            w.Write(dataBytes);
            for (var i = 0; i < samples; i++)
            {
                var envelope = Math.Min(1.0, Math.Min(i, samples - 1 - i) / (double)fade);
                w.Write((short)Math.Round(0.5 * short.MaxValue * envelope * Math.Sin(2 * Math.PI * frequency * i / sampleRate)));
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// The pitch for a seed: the first four bytes of its SHA-256 spread over
    /// <see cref="MinFrequency"/>..<see cref="MaxFrequency"/> on a log scale, rounded to 0.01 Hz.
    /// </summary>
    public static double FrequencyOf(string seed)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        var u = BitConverter.ToUInt32(h, 0) / (double)uint.MaxValue;
        return Math.Round(MinFrequency * Math.Pow(MaxFrequency / MinFrequency, u), 2);
    }

    /// <summary>As a model output: <c>audio/wav</c>, <c>wav</c>, no pixel size.</summary>
    public static ModelOutput ToOutput(byte[] wav) => new(wav, "audio/wav", "wav", 0, 0);
}
