using System.Buffers.Binary;

namespace SanReid.Imaging;

/// <summary>
/// Refuses an uncompressed BMP shorter than its header promises: pixel-data offset + |height| rows of
/// ((bits per pixel x width + 31) / 32) x 4 bytes. ImageSharp would fill the missing rows silently. Run-length (RLE4/RLE8)
/// and embedded JPEG/PNG bitmaps are not checked here (their length is not fixed by the header).
/// </summary>
internal static class BmpStructure
{
    private const uint Rgb = 0, BitFields = 3, AlphaBitFields = 6;

    /// <exception cref="CorruptImageException">The file ends before the last pixel row.</exception>
    public static void Check(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26)
            throw new CorruptImageException("The BMP is truncated: it ends inside its headers.");
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        long width, height;
        int bitsPerPixel;
        uint compression;
        if (headerSize == 12)
        {
            // OS/2 1.x BITMAPCOREHEADER: 16-bit sizes, never compressed.
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
            compression = Rgb;
        }
        else
        {
            if (data.Length < 34)
                throw new CorruptImageException("The BMP is truncated: it ends inside its headers.");
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..])); // negative: top-down rows
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
            // In the OS/2 2.x headers (16 and 64 bytes) compression 3 means Huffman 1D, not bit fields.
            bool os2 = headerSize is 16 or 64;
            if (compression != Rgb && (os2 || (compression != BitFields && compression != AlphaBitFields)))
                return;
        }
        if (width <= 0 || height <= 0 || bitsPerPixel is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
            return; // ImageSharp reports these itself
        long stride = (bitsPerPixel * width + 31) / 32 * 4;
        long needed = offset + stride * height;
        if (data.Length < needed)
            throw new CorruptImageException(
                $"The BMP is truncated: its header declares {width}x{height} at {bitsPerPixel} bits per pixel, " +
                $"{needed:N0} bytes with the headers, but the file has {data.Length:N0}.");
    }
}
