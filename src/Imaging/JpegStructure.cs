namespace SanReid.Imaging;

/// <summary>
/// A marker walk over a whole JPEG in memory, before ImageSharp decodes it (ITU T.81): refuses files cut before the
/// end-of-image marker of the primary image, scans that cannot hold the blocks they must code, decoding work out of
/// proportion to the file, metadata profiles split over more segments than ImageSharp can join cheaply, and corrupt EXIF.
/// </summary>
/// <remarks>
/// <para>Segments are skipped by their length field (so an EXIF thumbnail inside APP1 is never mistaken for the image); after a
/// start-of-scan segment the entropy-coded data is skipped up to the next marker: there 0xFF is always followed by a
/// stuffed 0x00, a restart marker (0xD0-0xD7) or fill bytes (0xFF), so any other byte after 0xFF is a real marker
/// (ITU T.81, B.1.1.5 and F.1.2.3). The walk stops at the first end-of-image marker after the scans: bytes after it (the
/// video of a "motion photo", a second image) are ignored, as decoders ignore them.</para>
/// <para>Scan data too short (Huffman coding, the only kind ImageSharp 2.1 decodes): every block of a sequential scan
/// codes a DC difference and an end-of-block (or 63 coefficients), each a Huffman code of at least 1 bit, so at least
/// 2 bits a block; every block of a progressive DC scan (first or refinement) at least 1 bit. A scan whose entropy-coded
/// bytes are fewer than that for the blocks it covers is cut off or forged: ImageSharp would decode it as zeros (a
/// made-up image) after a full pass. Progressive AC scans have no such bound (one end-of-band run codes up to 32,767
/// blocks), so their cost is bounded by the scan budget instead: the blocks of every scan x 64 summed over the scans
/// (each scan is a pass over the blocks of its components) must stay within <c>maxScanPixels</c>.</para>
/// <para>Metadata: ImageSharp 2.1 joins every APP1 "Exif" segment into one EXIF block, every APP1 XMP segment into one
/// XMP block and every APP2 "ICC_PROFILE" segment into one ICC profile, growing the array by one copy per segment
/// (quadratic: 250 ICC segments of 64 KB cost 2.5 s of CPU). Each of the three may have at most
/// <see cref="MaxProfileSegments"/> segments (the ICC chunk counter's own limit) and <see cref="MaxProfileBytes"/> bytes:
/// an ICC profile is a few KB to a few hundred KB, an EXIF block at most 64 KB (one segment). The joined EXIF block is
/// walked by <see cref="ExifStructure"/>.</para>
/// </remarks>
internal static class JpegStructure
{
    /// <summary>Most APP segments one metadata profile (EXIF, XMP or ICC) may be split into: 255.</summary>
    public const int MaxProfileSegments = 255;

    /// <summary>Most bytes of one metadata profile (EXIF, XMP or ICC), its segments together: 4 MiB.</summary>
    public const int MaxProfileBytes = 4 << 20;

    private const byte Soi = 0xD8, Eoi = 0xD9, Sos = 0xDA, Tem = 0x01, App1 = 0xE1, App2 = 0xE2;

    /// <summary>The walk before ImageSharp reads the header: markers, segment lengths, scan count, metadata profiles, EXIF.</summary>
    /// <exception cref="CorruptImageException">Truncated, malformed segment, no scan, a scan before any frame header, more
    /// than <paramref name="maxScans"/> scans, or corrupt EXIF.</exception>
    /// <exception cref="ImageTooLargeException">A metadata profile has more than <see cref="MaxProfileSegments"/> segments
    /// or <see cref="MaxProfileBytes"/> bytes.</exception>
    public static void Check(ReadOnlySpan<byte> data, int maxScans) => Walk(data, maxScans, long.MaxValue, scanData: false);

    /// <summary>
    /// The walk again, after the size limits (so a small file claiming a huge size is "too large", not "cut off"), checking
    /// each scan's data against its blocks and the scans' total cost against <paramref name="maxScanPixels"/>.
    /// </summary>
    /// <exception cref="CorruptImageException">A scan with fewer bytes than its blocks need.</exception>
    /// <exception cref="ImageTooLargeException">The scans cover more than <paramref name="maxScanPixels"/> pixels together.</exception>
    public static void CheckScans(ReadOnlySpan<byte> data, long maxScanPixels) => Walk(data, int.MaxValue, maxScanPixels, scanData: true);

    private static void Walk(ReadOnlySpan<byte> data, int maxScans, long maxScanPixels, bool scanData)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != Soi)
            throw new CorruptImageException("The JPEG does not start with a start-of-image marker.");
        int pos = 2, scans = 0;
        long scanPixels = 0;
        Frame? frame = null;
        var exif = new Profile("EXIF");
        var xmp = new Profile("XMP");
        var icc = new Profile("ICC");
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
                if (exif.Bytes > 0 && !scanData)
                    ExifStructure.Check(exif.Join(data), "JPEG");
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
            var payload = data.Slice(pos + 2, length - 2);
            int payloadAt = pos + 2;
            pos += length;
            if (IsFrameHeader(marker))
                frame ??= Frame.Parse(marker, payload);
            else if (marker == App1 && payload.StartsWith("Exif\0\0"u8))
                exif.Add(payloadAt + 6, payload.Length - 6);
            else if (marker == App1 && payload.StartsWith("http://ns.adobe.com/xap/1.0/\0"u8))
                xmp.Add(payloadAt + 29, payload.Length - 29);
            else if (marker == App2 && payload.Length >= 14 && payload.StartsWith("ICC_PROFILE\0"u8))
                icc.Add(payloadAt + 14, payload.Length - 14);
            if (marker != Sos)
                continue;
            if (frame is null)
                throw new CorruptImageException("The JPEG has a scan before any frame header (SOF marker): it declares no image size.");
            if (++scans > maxScans)
            {
                throw new CorruptImageException(
                    $"The JPEG has more than {maxScans} scans; the limit is {maxScans} (encoders write at most a few dozen, " +
                    "more is a decoding-cost attack).");
            }

            pos = SkipEntropyCodedData(data, pos, scans, out long codedBytes);
            if (!scanData)
                continue;
            var (blocks, minBitsPerBlock) = frame.ScanBlocks(payload);
            if (codedBytes * 8 < blocks * minBitsPerBlock)
            {
                throw new CorruptImageException(
                    $"The JPEG's scan {scans} holds {codedBytes:N0} bytes of coded data, but its {blocks:N0} blocks of 8x8 " +
                    $"need at least {(blocks * minBitsPerBlock + 7) / 8:N0} ({minBitsPerBlock} bit{(minBitsPerBlock == 1 ? "" : "s")} a block): the data is " +
                    "cut off or forged.");
            }

            scanPixels += blocks * 64;
            if (scanPixels > maxScanPixels)
            {
                throw new ImageTooLargeException(
                    $"The {frame.Width}x{frame.Height} JPEG's first {scans} scans already cover {scanPixels:N0} pixels " +
                    $"together; the limit is {maxScanPixels:N0} (each scan is a pass over the image: too many scans for its size).");
            }
        }
    }

    // Start-of-frame markers: SOF0-SOF3, SOF5-SOF7, SOF9-SOF11, SOF13-SOF15 (C4 is DHT, C8 JPG, CC DAC).
    private static bool IsFrameHeader(byte marker) => marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    // Returns the index of the 0xFF that starts the marker ending the scan's entropy-coded data; codedBytes counts its bytes
    // without the restart markers.
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int pos, int scans, out long codedBytes)
    {
        int start = pos;
        long restarts = 0;
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
                if (b != 0x00)
                    restarts += next + 1 - pos;
                pos = next + 1;
                continue;
            }
            codedBytes = pos - start - restarts;
            return next - 1;
        }
    }

    private static CorruptImageException Truncated(int scans) => new(scans == 0
        ? "The JPEG is truncated: it ends before its first scan."
        : "The JPEG is truncated: no end-of-image marker after its last scan.");

    // One metadata profile's segments, as (offset, length) in the file.
    private sealed class Profile(string name)
    {
        private readonly List<(int At, int Length)> _parts = [];

        public long Bytes { get; private set; }

        public void Add(int at, int length)
        {
            _parts.Add((at, length));
            Bytes += length;
            if (_parts.Count > MaxProfileSegments || Bytes > MaxProfileBytes)
            {
                throw new ImageTooLargeException(
                    $"The JPEG's {name} metadata is split over {_parts.Count:N0} segments of {Bytes:N0} bytes so far; the " +
                    $"limit is {MaxProfileSegments} segments and {MaxProfileBytes:N0} bytes (a profile is at most a few " +
                    "hundred KB; joining more costs the decoder a copy per segment).");
            }
        }

        public byte[] Join(ReadOnlySpan<byte> data)
        {
            var joined = new byte[Bytes];
            int at = 0;
            foreach (var (start, length) in _parts)
            {
                data.Slice(start, length).CopyTo(joined.AsSpan(at));
                at += length;
            }
            return joined;
        }
    }

    // The frame header (SOF): size and components' sampling factors, to count the blocks each scan covers.
    private sealed record Frame(byte Marker, int Width, int Height, (byte Id, int H, int V)[] Components)
    {
        public static Frame? Parse(byte marker, ReadOnlySpan<byte> payload)
        {
            if (payload.Length < 6)
                return new Frame(marker, 0, 0, []);
            int count = payload[5];
            var components = new (byte, int, int)[Math.Min(count, (payload.Length - 6) / 3)];
            for (int i = 0; i < components.Length; i++)
            {
                byte sampling = payload[6 + 3 * i + 1];
                components[i] = (payload[6 + 3 * i], sampling >> 4, sampling & 0x0F);
            }
            return new Frame(marker, (payload[3] << 8) | payload[4], (payload[1] << 8) | payload[2], components);
        }

        private int IndexOf(byte id) => Array.FindIndex(Components, c => c.Id == id);

        // Blocks the scan covers (T.81, A.2) and the fewest bits each needs in Huffman coding (0: no bound known).
        public (long Blocks, int MinBits) ScanBlocks(ReadOnlySpan<byte> sos)
        {
            if (Width == 0 || Height == 0 || sos.Length < 1 || sos.Length < 1 + 2 * sos[0] + 3 || Components.Length == 0)
                return (0, 0);
            int hMax = Components.Max(c => c.H), vMax = Components.Max(c => c.V);
            if (hMax == 0 || vMax == 0)
                return (0, 0);
            int count = sos[0];
            long blocks;
            if (count == 1)
            {
                int i = IndexOf(sos[1]);
                if (i < 0)
                    return (0, 0);
                long w = ((long)Width * Components[i].H + hMax - 1) / hMax, h = ((long)Height * Components[i].V + vMax - 1) / vMax;
                blocks = (w + 7) / 8 * ((h + 7) / 8);
            }
            else
            {
                long mcus = ((long)Width + 8 * hMax - 1) / (8 * hMax) * (((long)Height + 8 * vMax - 1) / (8 * vMax));
                long perMcu = 0;
                for (int k = 0; k < count; k++)
                {
                    int i = IndexOf(sos[1 + 2 * k]);
                    if (i < 0)
                        return (0, 0);
                    perMcu += Components[i].H * Components[i].V;
                }
                blocks = mcus * perMcu;
            }
            int spectralStart = sos[1 + 2 * count];
            int minBits = Marker switch
            {
                0xC0 or 0xC1 => 2, // sequential Huffman: a DC code and an end-of-block (or AC) code, 1 bit at least each
                0xC2 => spectralStart == 0 ? 1 : 0, // progressive Huffman: DC scans 1 bit a block; AC scans have EOB runs
                _ => 0, // lossless, arithmetic coding: ImageSharp 2.1 does not decode them
            };
            return (blocks, minBits);
        }
    }
}
