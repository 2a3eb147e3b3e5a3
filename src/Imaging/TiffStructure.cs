using System.Buffers.Binary;

namespace SanReid.Imaging;

/// <summary>
/// A walk over a TIFF's image file directories (IFDs) in memory, before ImageSharp reads them (TIFF 6.0, section 2;
/// BigTIFF): every header field that ImageSharp turns into a seek or an allocation is checked against the file's length
/// first. The header's byte order and version (42, or 43 for BigTIFF) must be valid; every IFD (the chain from the header
/// and the EXIF, GPS and interoperability sub-IFDs) must lie inside the file, be visited once (no loops) and be one of at
/// most <see cref="MaxDirectories"/>; every entry whose value does not fit in the entry itself must point to
/// count x type size bytes inside the file; the first image must have its width and length tags, and its strip (or tile)
/// offsets and byte counts must be present,
/// of equal number, and each strip must lie inside the file (a file cut inside its pixel data is refused rather than
/// decoded with made-up pixels). An EXIF or GPS pointer inside a sub-directory is refused (EXIF puts them in an image
/// directory; ImageSharp 2.1 fails on one). <see cref="CheckLayout"/> then checks the first image's samples, rows per
/// strip and strips against its size.
/// </summary>
internal static class TiffStructure
{
    /// <summary>Most IFDs (pages and sub-IFDs together) accepted in one file: 256. Only the first page is decoded, but
    /// ImageSharp reads every IFD's entries.</summary>
    public const int MaxDirectories = 256;

    private const ushort ImageWidth = 256, ImageLength = 257, BitsPerSample = 258, Compression = 259, Photometric = 262,
        StripOffsets = 273, SamplesPerPixel = 277, RowsPerStrip = 278, StripByteCounts = 279, PlanarConfiguration = 284,
        TileOffsets = 324, TileByteCounts = 325;
    private const ushort ExifIfd = 34665, GpsIfd = 34853, InteropIfd = 40965;

    /// <exception cref="CorruptImageException">A header field points outside the file, an IFD loop, too many IFDs, or the
    /// first image's size tags or strips are missing or cut off.</exception>
    /// <exception cref="UnsupportedImageException">A compression other than none, LZW, Deflate, PackBits or CCITT (JPEG
    /// in particular: ImageSharp 2.1 decodes its strips with every format it knows and no limits).</exception>
    public static void Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
            throw Corrupt("it ends inside its header");
        bool little = data[0] == (byte)'I' && data[1] == (byte)'I';
        if (!little && !(data[0] == (byte)'M' && data[1] == (byte)'M'))
            throw Corrupt("its byte-order mark is neither II nor MM");
        var tiff = new Reader(data, little);
        ushort version = tiff.U16(2);
        bool big = version == 43;
        if (version != 42 && !big)
            throw Corrupt($"its version is {version}, not 42 (TIFF) or 43 (BigTIFF)");
        if (big && (data.Length < 16 || tiff.U16(4) != 8 || tiff.U16(6) != 0))
            throw Corrupt("its BigTIFF header is malformed");

        var visited = new HashSet<long>();
        var pending = new Queue<(long Offset, ushort Tag)>();
        long next = big ? tiff.U64(8) : tiff.U32(4);
        bool first = true;
        // The page chain, then the sub-IFDs found on the way.
        while (next != 0 || pending.Count > 0)
        {
            bool chained = next != 0;
            var (offset, via) = chained ? (next, (ushort)0) : pending.Dequeue();
            if (!visited.Add(offset))
                throw Corrupt($"its directory at byte {offset:N0} is reached twice (a loop)");
            if (visited.Count > MaxDirectories)
                throw Corrupt($"it has more than {MaxDirectories} directories");
            var ifd = ReadDirectory(tiff, offset, big);
            if (chained)
                next = ifd.Next;
            // ImageSharp 2.1 adds an EXIF or GPS pointer met inside a sub-directory to the list of sub-directories it is
            // walking ("Collection was modified"); the EXIF specification puts both pointers in the main directory only.
            if (via != 0 && ifd.SubDirectories.Find(s => s.Tag is ExifIfd or GpsIfd) is { Tag: not 0 } nested)
            {
                throw Corrupt($"its sub-directory at byte {offset:N0} (reached by tag {via}) holds another directory pointer " +
                    $"(tag {nested.Tag}); EXIF and GPS pointers belong in an image directory");
            }

            foreach (var sub in ifd.SubDirectories)
                pending.Enqueue(sub);
            if (first)
            {
                CheckStrips(tiff, ifd);
                first = false;
            }
        }
        if (first)
            throw Corrupt("it has no image directory");
    }

    private sealed record Entry(ushort Tag, ushort Type, long Count, long ValueOffset);

    private sealed record Directory(List<Entry> Entries, long Next, List<(long Offset, ushort Tag)> SubDirectories);

    private static Directory ReadDirectory(Reader tiff, long offset, bool big)
    {
        int countSize = big ? 8 : 2, entrySize = big ? 20 : 12, offsetSize = big ? 8 : 4;
        if (offset < 8 || offset > tiff.Length - countSize)
            throw Corrupt($"a directory offset ({offset:N0}) points outside the file of {tiff.Length:N0} bytes");
        long count = big ? tiff.U64(offset) : tiff.U16(offset);
        if (count <= 0)
            throw Corrupt($"its directory at byte {offset:N0} has no entries");
        long end = offset + countSize + count * entrySize + offsetSize; // count < 2^63 / 20 is checked next
        if (count > (tiff.Length - offset) / entrySize || end > tiff.Length)
            throw Corrupt($"its directory at byte {offset:N0} declares {count:N0} entries, past the end of the file");
        var entries = new List<Entry>((int)count);
        var subs = new List<(long, ushort)>();
        for (long i = 0; i < count; i++)
        {
            long at = offset + countSize + i * entrySize;
            ushort tag = tiff.U16(at), type = tiff.U16(at + 2);
            long valueCount = big ? tiff.U64(at + 4) : tiff.U32(at + 4);
            long valueField = at + (big ? 12 : 8);
            int size = TypeSize(type);
            long valueOffset = valueField;
            if (size > 0)
            {
                if (valueCount < 0 || valueCount > tiff.Length || valueCount * size > tiff.Length)
                    throw Corrupt($"its tag {tag} declares {valueCount:N0} values, more than the file holds");
                if (valueCount * size > offsetSize)
                {
                    valueOffset = big ? tiff.U64(valueField) : tiff.U32(valueField);
                    if (valueOffset < 0 || valueOffset > tiff.Length - valueCount * size)
                        throw Corrupt($"its tag {tag} points to {valueCount * size:N0} bytes at byte {valueOffset:N0}, past the end of the file");
                }
            }
            var entry = new Entry(tag, type, valueCount, valueOffset);
            entries.Add(entry);
            if (tag is ExifIfd or GpsIfd or InteropIfd && size > 0 && valueCount >= 1)
                subs.Add((tiff.Value(entry, 0), tag));
        }
        return new Directory(entries, big ? tiff.U64(end - 8) : tiff.U32(end - 4), subs);
    }

    private static void CheckStrips(Reader tiff, Directory ifd)
    {
        if (!ifd.Entries.Exists(e => e.Tag == ImageWidth) || !ifd.Entries.Exists(e => e.Tag == ImageLength))
            throw Corrupt("its first image has no ImageWidth or ImageLength tag");
        // ImageSharp 2.1 decodes a JPEG-compressed strip with Image.Load and its default configuration: every format it
        // knows, none of our limits, and a TIFF inside a strip recurses until the stack overflows (found by fuzzing;
        // a stack overflow ends the process). Only the compressions it decodes itself are accepted.
        var compression = ifd.Entries.Find(e => e.Tag == Compression);
        long scheme = compression is null || TypeSize(compression.Type) == 0 ? 1 : tiff.Value(compression, 0);
        if (scheme is 6 or 7)
        {
            throw new UnsupportedImageException(
                "The TIFF's strips are JPEG-compressed, which this decoder does not read; send the JPEG itself, or a TIFF " +
                "that is uncompressed or LZW, Deflate, PackBits or CCITT compressed.");
        }

        if (scheme is not (1 or 2 or 3 or 4 or 5 or 8 or 32946 or 32773))
        {
            throw new UnsupportedImageException(
                $"The TIFF uses compression scheme {scheme}, which this decoder does not read (it reads none, LZW, Deflate, " +
                "PackBits and CCITT).");
        }

        var offsets = ifd.Entries.Find(e => e.Tag is StripOffsets or TileOffsets);
        var counts = ifd.Entries.Find(e => e.Tag is StripByteCounts or TileByteCounts);
        if (offsets is null || counts is null)
            throw Corrupt("its first image has no strip offsets or strip byte counts");
        if (offsets.Count != counts.Count || offsets.Count == 0 || TypeSize(offsets.Type) == 0 || TypeSize(counts.Type) == 0)
            throw Corrupt($"its first image declares {offsets.Count:N0} strip offsets but {counts.Count:N0} strip byte counts");
        for (long i = 0; i < offsets.Count; i++)
        {
            long at = tiff.Value(offsets, i), length = tiff.Value(counts, i);
            if (at < 0 || length < 0 || at > tiff.Length || length > tiff.Length - at)
                throw Corrupt($"strip {i:N0} of its first image ({length:N0} bytes at byte {at:N0}) runs past the end of the file ({tiff.Length:N0} bytes)");
        }
    }

    /// <summary>
    /// Checks the first image's sample layout against its strips; runs after the size limits (so a small file claiming a
    /// huge size is "too large", not "truncated") and after <see cref="Check"/>, which has bounded every offset.
    /// SamplesPerPixel and BitsPerSample must agree, each sample at most 32 bits and at most 4 samples (what ImageSharp 2.1
    /// reads); RowsPerStrip is clamped to the height in place (see below); there must be a strip for every row (per
    /// plane for planar data); and each uncompressed strip must hold its rows (ImageSharp fills what is missing with zeros).
    /// </summary>
    /// <exception cref="CorruptImageException">SamplesPerPixel 0 or over 65,535, inconsistent sample counts, 0 or over 128 bits per sample, RowsPerStrip 0, too few strips, an uncompressed
    /// strip shorter than its rows.</exception>
    /// <exception cref="UnsupportedImageException">33 to 128 bits per sample or more than 4 samples per pixel.</exception>
    public static void CheckLayout(Span<byte> data)
    {
        bool little = data[0] == (byte)'I';
        var tiff = new Reader(data, little);
        bool big = tiff.U16(2) == 43;
        var ifd = ReadDirectory(tiff, big ? tiff.U64(8) : tiff.U32(4), big);
        var offsets = ifd.Entries.Find(e => e.Tag is StripOffsets or TileOffsets)!;
        var counts = ifd.Entries.Find(e => e.Tag is StripByteCounts or TileByteCounts)!;
        if (offsets.Tag == TileOffsets)
            return; // ImageSharp 2.1 refuses tiled images as unsupported

        // The sample layout: every value sized by the header must agree with the others and with the strips.
        long width = Number(tiff, ifd, ImageWidth, 0), height = Number(tiff, ifd, ImageLength, 0);
        if (width <= 0 || height <= 0)
            return; // ImageSharp reports a zero size itself
        long samples = Number(tiff, ifd, SamplesPerPixel, 1);
        var bits = ifd.Entries.Find(e => e.Tag == BitsPerSample);
        long bitCount = bits is null || TypeSize(bits.Type) == 0 ? 0 : bits.Count;
        // TIFF 6.0 stores SamplesPerPixel as a SHORT: 0, more than 65,535 (or a negative LONG8) is a damaged field.
        if (samples <= 0 || samples > ushort.MaxValue)
            throw Corrupt($"its SamplesPerPixel is {(ulong)samples:N0}, not 1 to 65,535");
        if (bitCount != 0 && bitCount != 1 && bitCount != samples)
            throw Corrupt($"it declares {samples:N0} samples per pixel but {bitCount:N0} BitsPerSample values");
        // One pass over the BitsPerSample values the file holds (bitCount, bounded by its length), never over the header's
        // SamplesPerPixel: a single value (or none) stands for every sample. A 318-byte file claiming 436,207,617 samples
        // and one BitsPerSample value kept a loop over the samples busy for 26 s (found by fuzzing).
        long distinct = bitCount == samples ? samples : 1;
        long bitsPerPixel = 0;
        var sampleBits = new long[Math.Min(samples, 4)];
        for (long i = 0; i < distinct; i++)
        {
            long b = bits is null || bitCount == 0 ? 1 : tiff.Value(bits, i);
            // No TIFF sample is wider than 128 bits (complex 64-bit floats); 0 or more is a damaged field, not a format.
            if (b == 0 || b > 128)
                throw Corrupt($"its BitsPerSample value {i} is {b:N0}");
            if (b > 32)
            {
                throw new UnsupportedImageException(
                    $"The TIFF has {b} bits per sample; this decoder reads at most 32 (ImageSharp 2.1). Convert it to 8 or 16 bits.");
            }

            if (distinct == 1)
                Array.Fill(sampleBits, b);
            else if (i < sampleBits.Length)
                sampleBits[i] = b;
            bitsPerPixel += distinct == 1 ? b * samples : b;
        }
        if (samples > 4)
        {
            throw new UnsupportedImageException(
                $"The TIFF has {samples:N0} samples per pixel; this decoder reads at most 4 (grey, RGB, RGBA). Convert it to RGB.");
        }

        // RowsPerStrip sizes ImageSharp's strip buffer (width x rows x bytes a pixel, allocated and cleared) without looking
        // at the height: 300,000 rows for a 1-row image cost 900 MB. Any value from the height up means "one strip"
        // (TIFF 6.0: the default is 2^32 - 1), so it is clamped to the height in place: the same image, a right-sized
        // buffer. 0 is refused (ImageSharp divides by it).
        var rowsEntry = ifd.Entries.Find(e => e.Tag == RowsPerStrip);
        long rows = rowsEntry is null || TypeSize(rowsEntry.Type) == 0 || rowsEntry.Count == 0 ? height : tiff.Value(rowsEntry, 0);
        if (rows == 0)
            throw Corrupt("its RowsPerStrip is 0");
        if (rows > height)
        {
            rows = height;
            Write(data, tiff, rowsEntry!, height);
        }

        // Enough strips for every row: ceil(height / rows) per image, once per sample for planar data (TIFF 6.0, section 3).
        // Fewer leave rows that ImageSharp fills with zeros silently.
        bool planar = Number(tiff, ifd, PlanarConfiguration, 1) == 2;
        long stripsPerImage = (height + rows - 1) / rows;
        long expected = planar ? stripsPerImage * samples : stripsPerImage;
        if (offsets.Count < expected)
        {
            throw Corrupt($"its first image has {offsets.Count:N0} strip{(offsets.Count == 1 ? "" : "s")}, but {height:N0} rows in strips of {rows:N0} rows " +
                $"{(planar ? $"for each of {samples} planes " : "")}need {expected:N0}");
        }

        // Uncompressed strips have a known size: each must hold its rows (YCbCr subsampling changes it; not checked).
        if (Number(tiff, ifd, Compression, 1) != 1 || Number(tiff, ifd, Photometric, 2) == 6)
            return;
        for (long i = 0; i < expected; i++)
        {
            long stripInPlane = planar ? i % stripsPerImage : i;
            long stripRows = stripInPlane < stripsPerImage - 1 ? rows : height - rows * (stripsPerImage - 1);
            long pixelBits = planar ? sampleBits[(int)Math.Min(i / stripsPerImage, sampleBits.Length - 1)] : bitsPerPixel;
            long needed = (width * pixelBits + 7) / 8 * stripRows;
            long length = tiff.Value(counts, i);
            if (length < needed)
            {
                throw Corrupt($"its uncompressed strip {i:N0} holds {length:N0} bytes, but its {stripRows:N0} rows of " +
                    $"{width:N0} pixels at {pixelBits} bits need {needed:N0}");
            }
        }
    }

    // The first value of an integer tag of the directory, or the default when absent.
    private static long Number(Reader tiff, Directory ifd, ushort tag, long absent)
    {
        var e = ifd.Entries.Find(x => x.Tag == tag);
        return e is null || TypeSize(e.Type) == 0 || e.Count == 0 ? absent : tiff.Value(e, 0);
    }

    // Overwrites the first value of a SHORT or LONG entry (the one header field this check rewrites: RowsPerStrip).
    private static void Write(Span<byte> data, Reader tiff, Entry e, long value)
    {
        var at = data[(int)e.ValueOffset..];
        switch (TypeSize(e.Type), tiff.LittleEndian)
        {
            case (1, _): at[0] = (byte)value; break;
            case (2, true): BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)value); break;
            case (2, false): BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)value); break;
            case (4, true): BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)value); break;
            case (4, false): BinaryPrimitives.WriteUInt32BigEndian(at, (uint)value); break;
            case (8, true): BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)value); break;
            case (8, false): BinaryPrimitives.WriteUInt64BigEndian(at, (ulong)value); break;
            default: throw Corrupt($"its tag {e.Tag} has type {e.Type}, not an integer");
        }
    }

    // Bytes per value of each TIFF field type (TIFF 6.0 section 2, BigTIFF); 0 for unknown types (readers skip them).
    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1, // BYTE, ASCII, SBYTE, UNDEFINED
        3 or 8 => 2, // SHORT, SSHORT
        4 or 9 or 11 or 13 => 4, // LONG, SLONG, FLOAT, IFD
        5 or 10 or 12 or 16 or 17 or 18 => 8, // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
        _ => 0,
    };

    private static CorruptImageException Corrupt(string what) => new($"The TIFF is truncated or corrupt: {what}.");

    private readonly ref struct Reader(ReadOnlySpan<byte> data, bool little)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public long Length => _data.Length;

        public bool LittleEndian => little;

        public ushort U16(long at) => little
            ? BinaryPrimitives.ReadUInt16LittleEndian(_data[(int)at..])
            : BinaryPrimitives.ReadUInt16BigEndian(_data[(int)at..]);

        public long U32(long at) => little
            ? BinaryPrimitives.ReadUInt32LittleEndian(_data[(int)at..])
            : BinaryPrimitives.ReadUInt32BigEndian(_data[(int)at..]);

        // A BigTIFF offset or count; values past long.MaxValue are returned negative, which every caller refuses.
        public long U64(long at) => (long)(little
            ? BinaryPrimitives.ReadUInt64LittleEndian(_data[(int)at..])
            : BinaryPrimitives.ReadUInt64BigEndian(_data[(int)at..]));

        // Value i of an integer entry (BYTE, SHORT, LONG, LONG8, IFD, IFD8), as an offset or a count.
        public long Value(Entry e, long i)
        {
            int size = TypeSize(e.Type);
            long at = e.ValueOffset + i * size;
            return size switch
            {
                1 => _data[(int)at],
                2 => U16(at),
                4 => U32(at),
                _ => U64(at),
            };
        }
    }
}
