namespace SanReid.Imaging.Tests;

/// <summary>
/// Writes a progressive (SOF2) greyscale JPEG byte by byte, since ImageSharp 2.1 cannot encode progressive: one DC scan
/// in which every block's DC difference is 0 (so every pixel decodes to 128), then <c>acScans</c> AC-first scans (1..63)
/// holding nothing but end-of-band runs. That is a valid stream of the shape a scan bomb uses: each AC scan is a few bytes
/// yet makes the decoder visit every block again.
/// </summary>
internal static class ProgressiveJpeg
{
    public static byte[] FlatGrey(int width, int height, int acScans) => FlatGrey(width, height, acScans, 0, null);

    /// <summary>
    /// As <see cref="FlatGrey(int, int, int)"/>, the DC scan's point transform set to <paramref name="dcRefinements"/>
    /// and followed by that many DC refinement scans (1 bit a block, all 0: still 128 everywhere), written in full or,
    /// with <paramref name="refinementBytes"/>, cut to that many bytes (as a forged file's tiny scans are).
    /// </summary>
    public static byte[] FlatGrey(int width, int height, int acScans, int dcRefinements, int? refinementBytes)
    {
        var o = new List<byte>();
        void Marker(byte code, params byte[] payload)
        {
            o.AddRange([0xFF, code, (byte)((payload.Length + 2) >> 8), (byte)((payload.Length + 2) & 0xFF)]);
            o.AddRange(payload);
        }

        o.AddRange([0xFF, 0xD8]); // SOI
        Marker(0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]); // DQT 0: all ones
        Marker(0xC2, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]); // SOF2, 1 component
        // DHT DC 0: one 1-bit code "0" for category 0. AC 0: 4-bit codes r for EOBr symbols (r << 4), r = 0..14.
        Marker(0xC4, [0x00, 1, .. new byte[15], 0x00,
                      0x10, 0, 0, 0, 15, .. new byte[12], .. Enumerable.Range(0, 15).Select(r => (byte)(r << 4))]);

        int blocks = (width + 7) / 8 * ((height + 7) / 8);
        Marker(0xDA, [1, 1, 0x00, 0, 0, (byte)dcRefinements]); // DC first scan, point transform Al = dcRefinements
        var dc = new CmykJpeg.BitWriter();
        for (int i = 0; i < blocks; i++)
            dc.Write(0, 1); // DC difference category 0
        o.AddRange(dc.Finish());
        for (int k = dcRefinements; k > 0; k--)
        {
            Marker(0xDA, [1, 1, 0x00, 0, 0, (byte)((k << 4) | (k - 1))]); // DC refinement: Ah = k, Al = k - 1
            var bits = new CmykJpeg.BitWriter();
            for (int i = 0; i < blocks; i++)
                bits.Write(0, 1); // one correction bit a block
            var data = bits.Finish();
            o.AddRange(refinementBytes is { } cut ? data.Take(cut) : data);
        }

        for (int scan = 0; scan < acScans; scan++)
        {
            Marker(0xDA, [1, 1, 0x00, 1, 63, 0x00]); // AC first scan, bands 1..63
            var ac = new CmykJpeg.BitWriter();
            for (int left = blocks; left > 0;)
            {
                int run = Math.Min(left, 32767);
                int r = 31 - int.LeadingZeroCount(run); // EOBr: run = 2^r + r extra bits
                ac.Write(r, 4);
                ac.Write(run - (1 << r), r);
                left -= run;
            }
            o.AddRange(ac.Finish());
        }
        o.AddRange([0xFF, 0xD9]); // EOI
        return o.ToArray();
    }
}
