using System.Buffers.Binary;

namespace SanReid.Imaging.Tests;

/// <summary>Finds and patches the entries of a little-endian TIFF's first directory, to craft TIFFs no encoder writes.</summary>
internal static class TiffBytes
{
    public const ushort ImageWidth = 256, ImageLength = 257, StripOffsets = 273, StripByteCounts = 279;

    /// <summary>Byte offset of the first directory (header bytes 4..7).</summary>
    public static int FirstDirectory(byte[] tiff)
    {
        Assert.Equal((byte)'I', tiff[0]); // ImageSharp writes little-endian ("II")
        return BinaryPrimitives.ReadInt32LittleEndian(tiff.AsSpan(4));
    }

    /// <summary>Byte offset of the 12-byte entry of <paramref name="tag"/> in the first directory.</summary>
    public static int Entry(byte[] tiff, ushort tag)
    {
        int ifd = FirstDirectory(tiff);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifd));
        for (int i = 0; i < count; i++)
        {
            int at = ifd + 2 + i * 12;
            if (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(at)) == tag)
                return at;
        }
        throw new InvalidOperationException($"tag {tag} not in the first directory");
    }

    /// <summary>Sets the value count (bytes 4..7) of an entry.</summary>
    public static void SetCount(byte[] tiff, ushort tag, uint count) =>
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(Entry(tiff, tag) + 4), count);

    /// <summary>Sets the value or value offset (bytes 8..11) of an entry.</summary>
    public static void SetValue(byte[] tiff, ushort tag, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(Entry(tiff, tag) + 8), value);

    /// <summary>Sets a SHORT or LONG value held in the entry itself (as written for the first directory's sizes).</summary>
    public static void SetInlineNumber(byte[] tiff, ushort tag, uint value)
    {
        int at = Entry(tiff, tag);
        if (BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(at + 2)) == 3)
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at + 8), checked((ushort)value));
        else
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 8), value);
    }
}

/// <summary>Builds multi-page TIFFs from single-page ones (ImageSharp 2.1 writes one page per file).</summary>
internal static class TiffPages
{
    /// <summary>
    /// <paramref name="pages"/> (little-endian single-page TIFFs) joined into one file: each page's bytes are appended
    /// after the previous ones, its offsets shifted, and the previous page's next-directory field pointed at its directory.
    /// </summary>
    public static byte[] Join(params byte[][] pages)
    {
        var o = new List<byte>(pages[0]);
        int previousNext = NextField(pages[0], TiffBytes.FirstDirectory(pages[0]));
        foreach (var page in pages.Skip(1))
        {
            int shift = o.Count - 8; // the page's own 8-byte header is dropped
            var body = page[8..];
            int ifd = TiffBytes.FirstDirectory(page) - 8;
            int count = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(ifd));
            for (int i = 0; i < count; i++)
            {
                int at = ifd + 2 + i * 12;
                ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at));
                int size = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at + 2)) switch { 3 => 2, 4 => 4, 5 => 8, _ => 1 };
                uint n = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(at + 4));
                bool outside = n * size > 4;
                if (outside || tag == TiffBytes.StripOffsets)
                {
                    // Offsets are of the original file; shift them (a strip offsets array outside the entry holds offsets too).
                    if (outside && tag == TiffBytes.StripOffsets)
                        throw new NotSupportedException("multi-strip pages: use small images (one strip)");
                    uint value = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(at + 8));
                    BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at + 8), (uint)(value + shift));
                }
            }
            var previous = o.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(previous.AsSpan(previousNext), (uint)(ifd + 8 + shift));
            o = new List<byte>(previous);
            previousNext = o.Count + NextField(body, ifd);
            o.AddRange(body);
        }
        return o.ToArray();
    }

    private static int NextField(byte[] tiff, int ifd) => ifd + 2 + BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(ifd)) * 12;
}
