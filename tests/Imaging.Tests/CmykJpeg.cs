namespace SanReid.Imaging.Tests;

/// <summary>
/// Writes a minimal baseline CMYK JPEG (8x8, one flat colour) byte by byte, because ImageSharp 2.1's encoder cannot
/// write CMYK. Adobe APP14 with transform 0 marks the four components as CMYK, stored the way Photoshop stores them
/// (inverted: 255 = no ink), which is what decoders (libjpeg, PIL, ImageSharp) expect of an Adobe CMYK JPEG.
/// Quantisation is all ones and every block is DC-only, so the decoded value is exact up to IDCT rounding.
/// </summary>
internal static class CmykJpeg
{
    public static byte[] Flat(byte c, byte m, byte y, byte k)
    {
        var o = new List<byte>();
        void Marker(byte code, params byte[] payload)
        {
            o.AddRange([0xFF, code, (byte)((payload.Length + 2) >> 8), (byte)((payload.Length + 2) & 0xFF)]);
            o.AddRange(payload);
        }

        o.AddRange([0xFF, 0xD8]); // SOI
        Marker(0xEE, [.. "Adobe"u8, 0x00, 0x64, 0, 0, 0, 0, 0]); // APP14: version 100, flags 0, transform 0 (CMYK as is)
        Marker(0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]); // DQT 0: all ones
        Marker(0xC0, [8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]); // SOF0 8x8, 4 components
        // DHT DC 0: categories 0..11 all 4-bit codes (code = category); AC 0: only EOB, code "0".
        Marker(0xC4, [0x00, 0, 0, 0, 12, .. new byte[12], .. Enumerable.Range(0, 12).Select(i => (byte)i),
                      0x10, 1, .. new byte[15], 0x00]);
        Marker(0xDA, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]); // SOS: all four components

        var bits = new BitWriter();
        foreach (var v in new[] { c, m, y, k })
        {
            int dc = 8 * (v - 128); // DC of an 8x8 flat block of value v after the level shift, quantiser 1
            int size = dc == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(dc));
            bits.Write(size, 4);
            if (size > 0)
                bits.Write(dc > 0 ? dc : dc + (1 << size) - 1, size);
            bits.Write(0, 1); // EOB
        }
        o.AddRange(bits.Finish());
        o.AddRange([0xFF, 0xD9]); // EOI
        return o.ToArray();
    }

    /// <summary>JPEG entropy-coded bits, MSB first, 0x00 stuffed after 0xFF, the end padded with ones (also used by ProgressiveJpeg).</summary>
    internal sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _acc, _count;

        public void Write(int value, int length)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                _acc = (_acc << 1) | ((value >> i) & 1);
                if (++_count == 8) Flush();
            }
        }

        public List<byte> Finish()
        {
            while (_count != 0) Write(1, 1); // pad with ones
            return _bytes;
        }

        private void Flush()
        {
            _bytes.Add((byte)_acc);
            if (_acc == 0xFF) _bytes.Add(0x00); // byte stuffing
            _acc = 0;
            _count = 0;
        }
    }
}
