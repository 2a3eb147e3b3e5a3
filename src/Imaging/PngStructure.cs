using System.Buffers.Binary;
using System.IO.Compression;

namespace SanReid.Imaging;

/// <summary>
/// A chunk walk over a whole PNG in memory, before ImageSharp reads it (ISO/IEC 15948, 5.3): every chunk must lie inside
/// the file, IHDR must come first, at least one IDAT and then IEND must follow. A file cut anywhere before IEND is
/// refused (ImageSharp would fill the missing rows silently). Also bounds the zlib-compressed text ImageSharp 2.1
/// inflates, during Identify as well as Decode (zTXt, iTXt with its compression flag set; it does not read iCCP): 200 KB
/// of compressed zeros inflate to 200 MiB, then to a string of twice that size. The chunks are kept, not stripped, because
/// ImageSharp reads a legacy EXIF profile (hence the orientation) from a "Raw profile type exif" text chunk.
/// </summary>
internal static class PngStructure
{
    /// <summary>Most bytes all compressed text chunks of one PNG may inflate to, together: 1 MiB.</summary>
    public const int MaxInflatedTextBytes = 1 << 20;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <exception cref="CorruptImageException">A chunk runs past the end of the file, IHDR is not first, no IDAT or no IEND.</exception>
    /// <exception cref="ImageTooLargeException">Compressed text inflates to more than <see cref="MaxInflatedTextBytes"/>.</exception>
    public static void Check(ReadOnlySpan<byte> data)
    {
        if (!data.StartsWith(Signature))
            throw new CorruptImageException("The PNG signature is damaged.");
        int pos = Signature.Length;
        bool first = true, sawData = false;
        long inflatedBudget = MaxInflatedTextBytes;
        while (true)
        {
            if (data.Length - pos < 12)
                throw new CorruptImageException("The PNG is truncated: it ends before its IEND chunk.");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            if (length > int.MaxValue || length > (uint)(data.Length - pos - 12))
            {
                throw new CorruptImageException(
                    $"The PNG is truncated: its {ChunkName(type)} chunk declares {length:N0} bytes, past the end of the file.");
            }

            var body = data.Slice(pos + 8, (int)length);
            pos += 12 + (int)length;

            if (first && !type.SequenceEqual("IHDR"u8))
                throw new CorruptImageException($"The PNG starts with a {ChunkName(type)} chunk instead of IHDR.");
            first = false;
            if (type.SequenceEqual("IDAT"u8))
            {
                sawData = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                if (!sawData)
                    throw new CorruptImageException("The PNG has no IDAT (pixel data) chunk.");
                return;
            }
            else if (CompressedPayload(type, body) is { } compressed)
            {
                inflatedBudget -= InflatedLength(compressed, inflatedBudget + 1);
                if (inflatedBudget < 0)
                {
                    throw new ImageTooLargeException(
                        $"The PNG's compressed text ({ChunkName(type)} chunk) inflates to more than " +
                        $"{MaxInflatedTextBytes:N0} bytes; refused as a decompression bomb.");
                }
            }
        }
    }

    // The zlib stream inside zTXt (keyword\0 method data) and iTXt with its compression flag set
    // (keyword\0 flag method language\0 translated\0 data); null for anything else.
    private static ReadOnlySpan<byte> CompressedPayload(ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        int keywordEnd = body.IndexOf((byte)0);
        if (keywordEnd < 0)
            return null;
        if (type.SequenceEqual("zTXt"u8))
            return keywordEnd + 2 <= body.Length ? body[(keywordEnd + 2)..] : null;
        if (!type.SequenceEqual("iTXt"u8) || keywordEnd + 3 > body.Length || body[keywordEnd + 1] == 0)
            return null;
        var rest = body[(keywordEnd + 3)..];
        int language = rest.IndexOf((byte)0);
        if (language < 0)
            return null;
        rest = rest[(language + 1)..];
        int translated = rest.IndexOf((byte)0);
        return translated < 0 ? null : rest[(translated + 1)..];
    }

    // Inflates at most `limit` bytes into a small scratch buffer (nothing is kept); a damaged stream counts what it gave.
    private static long InflatedLength(ReadOnlySpan<byte> zlib, long limit)
    {
        if (zlib.IsEmpty)
            return 0;
        using var input = new MemoryStream(zlib.ToArray(), writable: false);
        using var inflater = new ZLibStream(input, CompressionMode.Decompress);
        var scratch = new byte[16 * 1024];
        long total = 0;
        try
        {
            int read;
            while (total < limit && (read = inflater.Read(scratch, 0, scratch.Length)) > 0)
                total += read;
        }
        catch (InvalidDataException)
        {
            // Not valid zlib: ImageSharp skips such text; the bytes inflated so far still count.
        }
        return total;
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> name = stackalloc char[4];
        for (int i = 0; i < 4; i++)
            name[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(name);
    }
}
