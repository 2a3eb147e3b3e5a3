using System.Buffers.Binary;
using System.IO.Compression;

namespace SanReid.Imaging;

/// <summary>
/// A chunk walk over a whole PNG in memory, before ImageSharp reads it (ISO/IEC 15948, 5.3): every chunk must lie inside
/// the file, IHDR must come first, at least one IDAT and then IEND must follow. A file cut anywhere before IEND is
/// refused (ImageSharp would fill the missing rows silently). Also bounds the zlib-compressed text ImageSharp 2.1
/// inflates, during Identify as well as Decode (zTXt, iTXt with its compression flag set; it does not read iCCP): 200 KB
/// of compressed zeros inflate to 200 MiB, then to a string of twice that size. The chunks are kept, not stripped, because
/// ImageSharp reads a legacy EXIF profile (hence the orientation) from a "Raw profile type exif" text chunk: that text
/// (<see cref="CheckRawExifProfile"/>) and the eXIf chunk are walked by <see cref="ExifStructure"/>.
/// <see cref="CheckPixelData"/> then checks that the IDAT stream fills the image.
/// </summary>
internal static class PngStructure
{
    /// <summary>Most bytes all compressed text chunks of one PNG may inflate to, together: 1 MiB.</summary>
    public const int MaxInflatedTextBytes = 1 << 20;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <exception cref="CorruptImageException">A chunk runs past the end of the file, IHDR is not first, no IDAT or no IEND,
    /// corrupt EXIF (eXIf chunk or raw profile text).</exception>
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
            else if (type.SequenceEqual("eXIf"u8))
            {
                ExifStructure.Check(body, "PNG eXIf chunk");
            }
            else
            {
                bool rawExif = IsRawExifProfile(type, body);
                var compressed = CompressedPayload(type, body);
                if (!compressed.IsEmpty)
                {
                    using var text = rawExif ? new MemoryStream() : null;
                    inflatedBudget -= Inflate(compressed, inflatedBudget + 1, text);
                    if (inflatedBudget < 0)
                    {
                        throw new ImageTooLargeException(
                            $"The PNG's compressed text ({ChunkName(type)} chunk) inflates to more than " +
                            $"{MaxInflatedTextBytes:N0} bytes; refused as a decompression bomb.");
                    }

                    if (text is not null)
                        CheckRawExifProfile(System.Text.Encoding.Latin1.GetString(text.GetBuffer(), 0, (int)text.Length));
                }
                else if (rawExif)
                {
                    CheckRawExifProfile(System.Text.Encoding.Latin1.GetString(UncompressedText(type, body)));
                }
            }
        }
    }

    /// <summary>
    /// Checks that the pixel data can fill the image the header declares, before ImageSharp decodes it (it fills missing
    /// rows silently: a cut-off PNG would embed as a made-up image, or be refused as "fully transparent"). The IDAT chunks'
    /// zlib stream is inflated into a small scratch buffer, stopping at the expected size, and must give at least the
    /// filtered size of the image: height x (1 + ceil(width x bits per pixel / 8)) bytes, or the sum over the seven Adam7
    /// passes for an interlaced image (ISO/IEC 15948, 7.2 and 8.2). A stream that breaks off (a damaged block, a bad
    /// checksum) counts the bytes it gave. Runs after the size limits, so the inflate is bounded by them (at most 8 bytes a
    /// pixel); it costs one more inflate of the image, no allocation beyond the scratch buffer and a copy of the IDAT data.
    /// </summary>
    /// <exception cref="CorruptImageException">The pixel data inflates to less than the image needs.</exception>
    public static void CheckPixelData(ReadOnlySpan<byte> data)
    {
        // IHDR is the first chunk (Check): width, height, bit depth, colour type, compression, filter, interlace.
        var ihdr = data.Slice(16, 13);
        long width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        int bitDepth = ihdr[8], colourType = ihdr[9], interlace = ihdr[12];
        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || bitDepth is not (1 or 2 or 4 or 8 or 16) || width == 0 || height == 0)
            return; // ImageSharp refuses these itself
        int bitsPerPixel = channels * bitDepth;
        long expected = 0;
        if (interlace == 0)
        {
            expected = FilteredSize(width, height, bitsPerPixel);
        }
        else
        {
            ReadOnlySpan<int> x0 = [0, 4, 0, 2, 0, 1, 0], y0 = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
            for (int pass = 0; pass < 7; pass++)
            {
                long w = width > x0[pass] ? (width - x0[pass] + dx[pass] - 1) / dx[pass] : 0;
                long h = height > y0[pass] ? (height - y0[pass] + dy[pass] - 1) / dy[pass] : 0;
                if (w > 0 && h > 0)
                    expected += FilteredSize(w, h, bitsPerPixel);
            }
        }

        using var idat = new MemoryStream();
        for (int pos = Signature.Length; pos + 12 <= data.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(data[pos..]); // bounded by Check
            var type = data.Slice(pos + 4, 4);
            if (type.SequenceEqual("IDAT"u8))
                idat.Write(data.Slice(pos + 8, length));
            else if (type.SequenceEqual("IEND"u8))
                break;
            pos += 12 + length;
        }
        idat.Position = 0;
        long inflated = idat.Length == 0 ? 0 : Inflate(idat, expected, keep: null);
        if (inflated < expected)
        {
            throw new CorruptImageException(
                $"The PNG is truncated: its pixel data inflates to {inflated:N0} bytes, but {width}x{height} at " +
                $"{bitsPerPixel} bits per pixel{(interlace == 0 ? "" : ", interlaced,")} needs {expected:N0}.");
        }
    }

    private static long FilteredSize(long width, long height, int bitsPerPixel) => height * (1 + (width * bitsPerPixel + 7) / 8);

    private const string RawExifKeyword = "Raw profile type exif";

    // A text chunk (tEXt, zTXt, iTXt) whose keyword is "Raw profile type exif" (ImageMagick's legacy EXIF; ImageSharp
    // matches the keyword ignoring case).
    private static bool IsRawExifProfile(ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        if (!type.SequenceEqual("tEXt"u8) && !type.SequenceEqual("zTXt"u8) && !type.SequenceEqual("iTXt"u8))
            return false;
        int keywordEnd = body.IndexOf((byte)0);
        return keywordEnd == RawExifKeyword.Length
            && System.Text.Encoding.Latin1.GetString(body[..keywordEnd]).Equals(RawExifKeyword, StringComparison.OrdinalIgnoreCase);
    }

    // The text of an uncompressed tEXt (keyword\0 text) or iTXt (keyword\0 0 method language\0 translated\0 text).
    private static ReadOnlySpan<byte> UncompressedText(ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        var rest = body[(body.IndexOf((byte)0) + 1)..];
        if (type.SequenceEqual("tEXt"u8))
            return rest;
        if (type.SequenceEqual("zTXt"u8))
            return []; // compressed, with nothing to inflate
        if (rest.Length < 2)
            return [];
        rest = rest[2..];
        for (int field = 0; field < 2; field++)
        {
            int end = rest.IndexOf((byte)0);
            if (end < 0)
                return [];
            rest = rest[(end + 1)..];
        }
        return rest;
    }

    /// <summary>
    /// Checks the text of a "Raw profile type exif" chunk as ImageSharp 2.1 reads it: "exif", a line with the decimal byte
    /// length, then hex lines whose first 6 bytes are "Exif\0\0". ImageSharp allocates the declared length before it reads
    /// any hex (2 GB for a 10-digit number), fails with a FormatException (a server error) on a length that is not a
    /// number, and loops forever when the hex ends before the declared length; so the length must be a number that the hex
    /// present can fill, and the EXIF inside is walked by <see cref="ExifStructure"/>. Text that does not start with
    /// "exif", and hex ImageSharp would give up on (odd line lengths, non-hex characters, another header), is ignored by
    /// ImageSharp and here.
    /// </summary>
    internal static void CheckRawExifProfile(string text)
    {
        var span = text.AsSpan().TrimStart();
        if (span.Length < 4 || !span[..4].Equals("exif", StringComparison.OrdinalIgnoreCase))
        {
            if (span.Length < 4)
                throw RawExifCorrupt("it is shorter than its \"exif\" header");
            return;
        }
        span = span[4..].TrimStart();
        int lineEnd = span.IndexOf('\n');
        if (lineEnd < 0 || !int.TryParse(span[..lineEnd], System.Globalization.NumberStyles.Integer,
                System.Globalization.CultureInfo.InvariantCulture, out int declared))
        {
            throw RawExifCorrupt("its length line is not a decimal number");
        }

        const int header = 6; // "Exif\0\0"
        if (declared < header)
            return; // ImageSharp ignores it
        var hex = span[lineEnd..].Trim();
        // Decode as ImageSharp does: one line at a time; give up (as it does) on a malformed line.
        var decoded = new byte[Math.Min(declared, hex.Length / 2)];
        int length = 0;
        foreach (var range in hex.Split('\n'))
        {
            var line = hex[range];
            if (line.Length % 2 != 0 || line.Length / 2 > decoded.Length - length)
                break;
            if (Convert.FromHexString(line, decoded.AsSpan(length), out _, out int written) != System.Buffers.OperationStatus.Done)
                return;
            length += written;
        }
        if (length < header || !decoded.AsSpan(0, header).SequenceEqual("Exif\0\0"u8))
            return; // ImageSharp ignores it
        if (length < declared)
            throw RawExifCorrupt($"it declares {declared:N0} bytes, but its hex data holds {length:N0}");
        ExifStructure.Check(decoded.AsSpan(header, declared - header), "PNG \"Raw profile type exif\" text");
    }

    private static CorruptImageException RawExifCorrupt(string what) =>
        new($"The PNG's \"{RawExifKeyword}\" text chunk is corrupt: {what}.");

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

    // Inflates at most `limit` bytes into a small scratch buffer, copied to `keep` when given; a damaged stream counts what
    // it gave.
    private static long Inflate(ReadOnlySpan<byte> zlib, long limit, MemoryStream? keep) =>
        zlib.IsEmpty ? 0 : Inflate(new MemoryStream(zlib.ToArray(), writable: false), limit, keep);

    private static long Inflate(MemoryStream input, long limit, MemoryStream? keep)
    {
        using var inflater = new ZLibStream(input, CompressionMode.Decompress);
        var scratch = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while (total < limit && (read = inflater.Read(scratch, 0, scratch.Length)) > 0)
            {
                total += read;
                keep?.Write(scratch, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            // Not valid zlib (or a bad checksum): the bytes inflated so far count.
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
