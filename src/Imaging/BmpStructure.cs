using System.Buffers.Binary;

namespace SanReid.Imaging;

/// <summary>
/// Checks of a BMP's header fields against the file's length. <see cref="CheckHeaders"/> runs before ImageSharp reads the
/// header: the info-header size, the palette (colours used x entry size) and the pixel-data offset must lie inside the
/// file, because ImageSharp sizes its palette buffer from them (a 58-byte file whose offset field says 0x7FFFFFFF made it
/// allocate 2 GiB). <see cref="CheckPixelLength"/> runs after the size limits: an uncompressed BMP must hold the
/// pixel-data offset + |height| rows of ((bits per pixel x width + 31) / 32) x 4 bytes, or ImageSharp would fill the
/// missing rows silently; a run-length (RLE4/RLE8/RLE24) stream must reach its end-of-bitmap code or fill every pixel
/// before its bytes run out. Embedded JPEG/PNG bitmaps are not length-checked (ImageSharp 2.1 does not decode them).
/// </summary>
internal static class BmpStructure
{
    private const uint Rgb = 0, BitFields = 3, AlphaBitFields = 6;
    private const int FileHeaderSize = 14;

    /// <exception cref="CorruptImageException">The headers, the palette or the pixel-data offset lie outside the file.</exception>
    public static void CheckHeaders(ReadOnlySpan<byte> data)
    {
        if (data.Length < FileHeaderSize + 12)
            throw Truncated("it ends inside its headers");
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        long headerSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (headerSize < 12 || headerSize > data.Length - FileHeaderSize)
            throw Truncated($"its info header declares {headerSize:N0} bytes, but the file has {data.Length:N0}");
        long headersEnd = FileHeaderSize + headerSize;
        if (offset < headersEnd || offset > data.Length)
        {
            throw new CorruptImageException(
                $"The BMP is corrupt: its pixel data offset ({offset:N0}) is outside the file " +
                $"(headers end at byte {headersEnd:N0}, the file has {data.Length:N0} bytes).");
        }
        // Palette entries: 3 bytes (OS/2 1.x core header) or 4; count = colours used, or 2^bpp for <= 8 bits when 0.
        int bitsPerPixel = headerSize == 12 ? BinaryPrimitives.ReadUInt16LittleEndian(data[24..]) : ReadBitsPerPixel(data);
        long coloursUsed = headerSize >= 40 ? BinaryPrimitives.ReadUInt32LittleEndian(data[46..]) : 0;
        if (coloursUsed == 0 && bitsPerPixel is > 0 and <= 8)
            coloursUsed = 1L << bitsPerPixel;
        long paletteBytes = coloursUsed * (headerSize == 12 ? 3 : 4);
        if (paletteBytes > data.Length - headersEnd)
            throw Truncated($"its palette declares {coloursUsed:N0} colours, more than the file holds");
    }

    private static int ReadBitsPerPixel(ReadOnlySpan<byte> data) =>
        data.Length >= 30 ? BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) : 0;

    /// <exception cref="CorruptImageException">The file ends before the last pixel row, or the run-length data ends before
    /// the last pixel.</exception>
    public static void CheckPixelLength(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26)
            throw Truncated("it ends inside its headers");
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
                throw Truncated("it ends inside its headers");
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..])); // negative: top-down rows
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
            // In the OS/2 2.x headers (16 and 64 bytes) compression 3 means Huffman 1D, not bit fields, and 4 RLE24.
            bool os2 = headerSize is 16 or 64;
            int rle = (compression, os2) switch { (1, _) => 8, (2, _) => 4, (4, true) => 24, _ => 0 };
            if (rle != 0)
            {
                if (width > 0 && height > 0 && offset <= data.Length)
                    CheckRunLengths(data[(int)offset..], width, height, rle);
                return;
            }
            if (compression != Rgb && (os2 || (compression != BitFields && compression != AlphaBitFields)))
                return;
        }
        if (width <= 0 || height <= 0 || bitsPerPixel is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
            return; // ImageSharp reports these itself
        long stride = (bitsPerPixel * width + 31) / 32 * 4; // < 2^37: no overflow
        long available = data.Length - (long)offset;
        if (available < 0 || height > available / stride)
        {
            throw Truncated(
                $"its header declares {width}x{height} at {bitsPerPixel} bits per pixel, " +
                $"{offset + (decimal)stride * height:N0} bytes with the headers, but the file has {data.Length:N0}");
        }
    }

    // Walks an RLE4 / RLE8 / RLE24 stream as ImageSharp 2.1 decodes it (pixel by pixel, rows of `width`): it must reach
    // the end-of-bitmap escape or fill every pixel before its bytes run out. An end-of-line or delta escape that skips
    // pixels is valid (they stay undefined, as the format allows); a stream that simply stops is a file cut short, which
    // ImageSharp would complete with made-up pixels (an absolute run cut off is copied as it is, the rest left zero).
    private static void CheckRunLengths(ReadOnlySpan<byte> rle, long width, long height, int bits)
    {
        long total = width * height, i = 0;
        int p = 0;
        while (i < total)
        {
            if (p + 2 > rle.Length)
                throw RleTruncated(i, total);
            byte count = rle[p], value = rle[p + 1];
            p += 2;
            if (count != 0)
            {
                if (bits == 24)
                    p += 2; // a run's colour is 3 bytes
                if (p > rle.Length)
                    throw RleTruncated(i, total);
                i += count;
                continue;
            }
            switch (value)
            {
                case 0: // end of line (none at the start of a row, as ImageSharp reads it)
                    i += i % width == 0 ? 0 : width - i % width;
                    break;
                case 1: // end of bitmap: the remaining pixels are undefined
                    return;
                case 2: // delta: skip right and down
                    if (p + 2 > rle.Length)
                        throw RleTruncated(i, total);
                    i += rle[p] + rle[p + 1] * width;
                    p += 2;
                    break;
                default: // absolute run of `value` pixels, padded to 16 bits
                    int bytes = bits switch { 4 => (value + 1) / 2, 8 => value, _ => 3 * value };
                    if (p + bytes > rle.Length)
                        throw RleTruncated(i, total);
                    p += bytes + (bytes & 1);
                    i += value;
                    break;
            }
        }
    }

    private static CorruptImageException RleTruncated(long done, long total) =>
        Truncated($"its run-length data ends after {Math.Min(done, total):N0} of its {total:N0} pixels, without an end-of-bitmap code");

    private static CorruptImageException Truncated(string what) => new($"The BMP is truncated: {what}.");
}
