namespace Wati.Tests.Uploads;

/// <summary>
/// Writes a legal progressive JPEG with as many scans as the standard allows (issue 24, finding 1): a
/// flat grey 4:4:4 YCbCr image whose DC scan is followed, for each component and each AC coefficient
/// 1..63 alone, by a first scan at Al=13 and 13 refinement scans down to Al=0 (ITU T.81 G.1.1):
/// 1 + 3 x 63 x 14 = 2,647 scans. Every AC coefficient is zero, so each AC scan is a few end-of-band
/// runs (EOBn symbols), a few bytes, while a decoder still walks every block once per scan. At
/// 6320x6320 that is the 440 KB, 21 s file of the issue; at 64x64 it is ~35 KB and decodes quickly.
/// <c>scripts/abuse-check.d/scan-bomb.py</c> writes the same bytes for the abuse check.
/// </summary>
internal static class ScanBomb
{
    /// <summary>Scans of <see cref="Write"/>'s file with every coefficient refined: 1 DC + 3 x 63 x 14 AC.</summary>
    public const int FullScans = 1 + 3 * 63 * 14;

    /// <summary>The JPEG's bytes; <paramref name="acScans"/> limits the AC scans written (all of them by default).</summary>
    public static byte[] Write(int width, int height, int acScans = int.MaxValue)
    {
        var o = new List<byte> { 0xFF, 0xD8 };
        // DQT: table 0, 8-bit, all ones.
        Segment(o, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);
        // SOF2: progressive, 8-bit, three components 1x1 sampled, quantisation table 0.
        Segment(o, 0xC2, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
        // DHT DC 0: one symbol (category 0, a zero difference), code "0".
        Segment(o, 0xC4, [0x00, 1, .. new byte[15], 0x00]);
        // DHT AC 0: the 15 end-of-band symbols EOB0..EOB14 (r << 4), 4-bit codes 0000..1110.
        Segment(o, 0xC4, [0x10, 0, 0, 0, 15, .. new byte[12], .. Enumerable.Range(0, 15).Select(r => (byte)(r << 4))]);

        var blocks = ((width + 7) / 8) * ((height + 7) / 8);
        // The DC scan, interleaved: one zero difference (one 0 bit) per block of each component.
        Segment(o, 0xDA, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 0, 0x00]);
        var dc = new BitWriter(o);
        for (var i = 0; i < blocks * 3; i++) dc.Write(0, 1);
        dc.Flush();

        var written = 0;
        for (var component = 1; component <= 3; component++)
        for (var k = 1; k <= 63; k++)
        for (var al = 13; al >= 0; al--)
        {
            if (written++ >= acScans) goto done;
            var ah = al == 13 ? 0 : al + 1;
            Segment(o, 0xDA, [1, (byte)component, 0x00, (byte)k, (byte)k, (byte)(ah << 4 | al)]);
            var bits = new BitWriter(o);
            for (var left = blocks; left > 0;)
            {
                var run = Math.Min(left, 32767);
                var r = 31 - int.LeadingZeroCount(run); // EOBr covers 2^r .. 2^(r+1)-1 blocks
                bits.Write(r, 4);
                bits.Write(run - (1 << r), r);
                left -= run;
            }
            bits.Flush();
        }
        done:
        o.AddRange([0xFF, 0xD9]);
        return [.. o];
    }

    private static void Segment(List<byte> o, byte marker, byte[] payload)
    {
        o.AddRange([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        o.AddRange(payload);
    }

    /// <summary>Entropy-coded bits, most significant first, 0xFF stuffed with 0x00, the last byte padded with ones.</summary>
    private sealed class BitWriter(List<byte> o)
    {
        private int _acc;
        private int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _acc = _acc << 1 | (value >> i & 1);
                if (++_count == 8) Emit();
            }
        }

        public void Flush()
        {
            while (_count != 0) Write(1, 1);
        }

        private void Emit()
        {
            o.Add((byte)_acc);
            if (_acc == 0xFF) o.Add(0x00);
            _acc = 0;
            _count = 0;
        }
    }
}
