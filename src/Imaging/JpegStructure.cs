namespace SanReid.Imaging;

/// <summary>
/// A marker walk over a whole JPEG in memory, before ImageSharp decodes it: refuses files cut before the end-of-image
/// marker of the primary image and progressive files with more scans than allowed (a scan bomb: every scan of a
/// progressive JPEG is a pass over all of its blocks, so a few dozen bytes per scan buy a full pass each).
/// </summary>
/// <remarks>
/// Segments are skipped by their length field (so an EXIF thumbnail inside APP1 is never mistaken for the image); after a
/// start-of-scan segment the entropy-coded data is skipped up to the next marker: there 0xFF is always followed by a
/// stuffed 0x00, a restart marker (0xD0-0xD7) or fill bytes (0xFF), so any other byte after 0xFF is a real marker
/// (ITU T.81, B.1.1.5 and F.1.2.3). The walk stops at the first end-of-image marker after the scans: bytes after it (the
/// video of a "motion photo", a second image) are ignored, as decoders ignore them.
/// </remarks>
internal static class JpegStructure
{
    private const byte Soi = 0xD8, Eoi = 0xD9, Sos = 0xDA, Tem = 0x01;

    /// <exception cref="CorruptImageException">Truncated, malformed segment, no scan, a scan before any frame header, or more
    /// than <paramref name="maxScans"/> scans.</exception>
    public static void Check(ReadOnlySpan<byte> data, int maxScans)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != Soi)
            throw new CorruptImageException("The JPEG does not start with a start-of-image marker.");
        int pos = 2, scans = 0;
        bool sawFrame = false;
        while (true)
        {
            // Between segments: tolerate stray bytes before the next 0xFF (libjpeg warns and skips them), then fill bytes.
            int ff = data[pos..].IndexOf((byte)0xFF);
            if (ff < 0)
                throw Truncated(scans);
            pos += ff;
            while (pos < data.Length && data[pos] == 0xFF)
                pos++;
            if (pos >= data.Length)
                throw Truncated(scans);
            byte marker = data[pos++];
            if (marker == Eoi)
            {
                if (scans == 0)
                    throw new CorruptImageException("The JPEG ends before its first scan (no image data).");
                return;
            }
            if (marker == 0x00 || marker == Tem || marker == Soi || marker is >= 0xD0 and <= 0xD7)
                continue; // stand-alone markers (or a stray stuffed byte): no length field
            if (pos + 2 > data.Length)
                throw Truncated(scans);
            int length = (data[pos] << 8) | data[pos + 1];
            if (length < 2)
                throw new CorruptImageException($"The JPEG has a segment (marker 0xFF{marker:X2}) with an invalid length {length}.");
            if (pos + length > data.Length)
                throw Truncated(scans);
            pos += length;
            if (IsFrameHeader(marker))
                sawFrame = true;
            if (marker != Sos)
                continue;
            if (!sawFrame)
                throw new CorruptImageException("The JPEG has a scan before any frame header (SOF marker): it declares no image size.");
            if (++scans > maxScans)
            {
                throw new CorruptImageException(
                    $"The JPEG has more than {maxScans} scans; the limit is {maxScans} (encoders write at most a few dozen, " +
                    "more is a decoding-cost attack).");
            }

            pos = SkipEntropyCodedData(data, pos, scans);
        }
    }

    // Start-of-frame markers: SOF0-SOF3, SOF5-SOF7, SOF9-SOF11, SOF13-SOF15 (C4 is DHT, C8 JPG, CC DAC).
    private static bool IsFrameHeader(byte marker) => marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    // Returns the index of the 0xFF that starts the marker ending the scan's entropy-coded data.
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int pos, int scans)
    {
        while (true)
        {
            int ff = data[pos..].IndexOf((byte)0xFF);
            if (ff < 0)
                throw Truncated(scans);
            pos += ff;
            int next = pos + 1;
            while (next < data.Length && data[next] == 0xFF)
                next++;
            if (next >= data.Length)
                throw Truncated(scans);
            byte b = data[next];
            if (b == 0x00 || b is >= 0xD0 and <= 0xD7)
            {
                pos = next + 1;
                continue;
            }
            return next - 1;
        }
    }

    private static CorruptImageException Truncated(int scans) => new(scans == 0
        ? "The JPEG is truncated: it ends before its first scan."
        : "The JPEG is truncated: no end-of-image marker after its last scan.");
}
