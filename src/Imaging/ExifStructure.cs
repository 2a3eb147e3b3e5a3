using System.Buffers.Binary;

namespace SanReid.Imaging;

/// <summary>
/// A walk over an EXIF block (a TIFF header and image file directories, CIPA DC-008 / EXIF 2.3, 4.6) in memory, before
/// ImageSharp sees it, for every container that carries one: a JPEG's APP1 "Exif" segments (concatenated, as ImageSharp
/// concatenates them), a PNG's eXIf chunk and "Raw profile type exif" text, a WebP's EXIF chunk. (A TIFF's own directories
/// are walked by <see cref="TiffStructure"/>.) ImageSharp 2.1 parses EXIF lazily, when the orientation is first read,
/// and follows exactly these directories: IFD0, the next one (IFD1, the thumbnail's), and the EXIF and GPS sub-directories
/// that their pointer tags (34665, 34853) name. The check refuses what makes that parse fail or allocate from a header
/// field:
/// <list type="bullet">
/// <item>a directory reached twice (a loop: a GPS pointer back to IFD0, IFD1 = IFD0);</item>
/// <item>an EXIF or GPS pointer inside a sub-directory (EXIF 2.3 puts both in IFD0; ImageSharp 2.1 adds it to the list
/// of sub-directories it is walking and fails with "Collection was modified");</item>
/// <item>an entry whose values (count x type size) are larger than the whole EXIF block (ImageSharp's 32-bit bounds
/// check wraps and it allocates count x size bytes).</item>
/// </list>
/// What ImageSharp skips harmlessly is tolerated, as cameras and editors write it: a value offset or a sub-directory
/// offset past the end of the block (an EXIF cut at 64 KB), unknown types, a block that is not TIFF-structured at all.
/// </summary>
internal static class ExifStructure
{
    private const ushort ExifPointer = 34665, GpsPointer = 34853;

    /// <summary>Checks <paramref name="exif"/>, the bytes from the TIFF header ("II*\0" or "MM\0*") on.</summary>
    /// <param name="exif">The EXIF block.</param>
    /// <param name="container">Where it came from, for the message ("JPEG", "PNG eXIf chunk").</param>
    /// <exception cref="CorruptImageException">A loop, a pointer in a sub-directory, or an entry larger than the block.</exception>
    public static void Check(ReadOnlySpan<byte> exif, string container)
    {
        // ImageSharp: any byte order other than "II" is read as big-endian; no 42 after it means no values at all.
        if (exif.Length < 8)
            return;
        bool little = exif[0] == (byte)'I' && exif[1] == (byte)'I';
        var reader = new Reader(exif, little);
        if (reader.U16(2) != 42)
            return;
        var visited = new HashSet<long>();
        var subDirectories = new List<(long Offset, ushort Tag)>();
        long ifd0 = reader.U32(4);
        long next = Walk(reader, ifd0, isSub: false, visited, subDirectories, container);
        if (next > 0)
            Walk(reader, next, isSub: false, visited, subDirectories, container);
        foreach (var (offset, tag) in subDirectories)
            Walk(reader, offset, isSub: true, visited, subDirectories: null, container, tag);
    }

    // Reads the directory at offset as ImageSharp does (entries up to the end of the block) and returns the next-directory
    // offset that follows its entries (0 when absent).
    private static long Walk(Reader reader, long offset, bool isSub, HashSet<long> visited,
        List<(long, ushort)>? subDirectories, string container, ushort viaTag = 0)
    {
        if (offset > reader.Length - 2)
            return 0; // ImageSharp skips a directory outside the block
        if (!visited.Add(offset))
        {
            throw Corrupt(container, viaTag == 0
                ? $"its directory at byte {offset:N0} is reached twice (a loop)"
                : $"its {PointerName(viaTag)} pointer leads to the directory at byte {offset:N0}, which was already read (a loop)");
        }

        int count = reader.U16(offset);
        long at = offset + 2;
        for (int i = 0; i < count && reader.Length - at >= 12; i++, at += 12)
        {
            ushort tag = reader.U16(at), type = reader.U16(at + 2);
            long valueCount = reader.U32(at + 4);
            int size = TypeSize(type);
            if (size == 0)
                continue; // unknown type: ImageSharp skips the entry
            if (valueCount * size > Math.Max(4, reader.Length))
            {
                throw Corrupt(container,
                    $"its tag {tag} declares {valueCount:N0} values of {size} bytes, more than the {reader.Length:N0}-byte EXIF block holds");
            }

            if (tag is not (ExifPointer or GpsPointer))
                continue;
            if (isSub)
            {
                throw Corrupt(container,
                    $"its {PointerName(tag)} pointer is inside a sub-directory (EXIF puts it in the first directory only)");
            }

            if (type is 3 or 4 or 13 && valueCount >= 1)
                subDirectories!.Add((type == 3 ? reader.U16(at + 8) : reader.U32(at + 8), tag));
        }
        return reader.Length - at >= 4 ? reader.U32(at) : 0;
    }

    private static string PointerName(ushort tag) => tag == GpsPointer ? "GPS directory" : "EXIF directory";

    // Bytes per value of the types ImageSharp 2.1 reads (ExifDataType); 0 for the rest, which it skips.
    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 or 16 or 17 or 18 => 8,
        _ => 0,
    };

    private static CorruptImageException Corrupt(string container, string what) =>
        new($"The {container}'s EXIF metadata is corrupt: {what}.");

    private readonly ref struct Reader(ReadOnlySpan<byte> data, bool little)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public long Length => _data.Length;

        public ushort U16(long at) => little
            ? BinaryPrimitives.ReadUInt16LittleEndian(_data[(int)at..])
            : BinaryPrimitives.ReadUInt16BigEndian(_data[(int)at..]);

        public long U32(long at) => little
            ? BinaryPrimitives.ReadUInt32LittleEndian(_data[(int)at..])
            : BinaryPrimitives.ReadUInt32BigEndian(_data[(int)at..]);
    }
}
