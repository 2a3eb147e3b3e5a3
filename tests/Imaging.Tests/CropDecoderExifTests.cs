using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// EXIF is checked in every container that carries it, before ImageSharp parses it (lazily, inside the orientation
/// step): a directory loop or a pointer where ImageSharp 2.1 cannot follow it is a corrupt image (400), not a server
/// fault ("Collection was modified", a 500 before), while a well-formed EXIF still turns the image upright.
/// </summary>
public class CropDecoderExifTests
{
    public enum Container { JpegApp1, PngExifChunk, PngRawProfileText, PngRawProfileCompressedText, WebpExifChunk }

    // A little-endian EXIF block: IFD0 at byte 8 with Orientation (274) and, optionally, one pointer entry.
    private static byte[] Exif(ushort orientation, (ushort Tag, uint Target)? pointer = null, byte[]? tail = null)
    {
        var o = new List<byte>("II*\0"u8.ToArray());
        o.AddRange(U32(8));
        int entries = pointer is null ? 1 : 2;
        o.AddRange(U16((ushort)entries));
        o.AddRange([.. U16(274), .. U16(3), .. U32(1), .. U16(orientation), 0, 0]);
        if (pointer is { } p)
            o.AddRange([.. U16(p.Tag), .. U16(4), .. U32(1), .. U32(p.Target)]);
        o.AddRange(U32(0)); // no IFD1
        o.AddRange(tail ?? []);
        return o.ToArray();
    }

    private static byte[] U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); return b; }

    private static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }

    // The GPS pointer of IFD0 leads back to IFD0: the tester's held-out file.
    private static byte[] LoopingExif() => Exif(6, (34853, 8));

    // An upright person stored rotated 90° anticlockwise (so orientation 6 turns it upright), in the container.
    private static byte[] Stored(Container container, byte[] exif)
    {
        using var image = TopRedBottomBlue(30, 60);
        image.Mutate(x => x.Rotate(RotateMode.Rotate270));
        return container switch
        {
            // ImageSharp writes a JFIF APP0, so its JPEG decoder never reads the EXIF resolution itself: the EXIF is
            // parsed lazily, as in a PNG.
            Container.JpegApp1 => InsertAfterSoi(Encode(image, new JpegEncoder { Quality = 95 }),
                [0xFF, 0xE1, .. BigEndian16(2 + 6 + exif.Length), .. "Exif\0\0"u8.ToArray(), .. exif]),
            Container.PngExifChunk => WithPngChunk(image, "eXIf", exif),
            Container.PngRawProfileText => WithPngChunk(image, "tEXt", [.. Encoding.Latin1.GetBytes("Raw profile type exif\0"), .. RawProfile(exif)]),
            Container.PngRawProfileCompressedText => WithPngChunk(image, "zTXt",
                [.. Encoding.Latin1.GetBytes("Raw profile type exif\0"), 0, .. Zlib(RawProfile(exif))]),
            Container.WebpExifChunk => WebpWithExif(image, exif),
            _ => throw new ArgumentOutOfRangeException(nameof(container)),
        };
    }

    private static byte[] BigEndian16(int v) => [(byte)(v >> 8), (byte)v];

    private static byte[] InsertAfterSoi(byte[] jpeg, byte[] segment) => [.. jpeg[..2], .. segment, .. jpeg[2..]];

    private static byte[] WithPngChunk(Image image, string type, byte[] data)
    {
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        chunks.Insert(1, (type, data));
        return PngChunks.Join(chunks);
    }

    // ImageMagick's "Raw profile type exif" text: "\nexif\n  <length>\n<hex of Exif\0\0 + block>\n".
    private static byte[] RawProfile(byte[] exif, int? declared = null)
    {
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. exif];
        return Encoding.Latin1.GetBytes($"\nexif\n{declared ?? payload.Length,8}\n{Convert.ToHexStringLower(payload)}\n");
    }

    private static byte[] Zlib(byte[] data)
    {
        using var o = new MemoryStream();
        using (var z = new ZLibStream(o, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(data);
        return o.ToArray();
    }

    // RIFF WEBP with VP8X (EXIF flag), the VP8L bitstream of ImageSharp's lossless encoding, and an EXIF chunk.
    private static byte[] WebpWithExif(Image image, byte[] exif)
    {
        var encoded = Encode(image, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        int at = encoded.AsSpan().IndexOf("VP8L"u8);
        int size = BinaryPrimitives.ReadInt32LittleEndian(encoded.AsSpan(at + 4));
        var vp8l = encoded[at..(at + 8 + size + (size & 1))];
        byte[] vp8x = [.. "VP8X"u8.ToArray(), .. U32(10), 0x08, 0, 0, 0,
            (byte)(image.Width - 1), (byte)((image.Width - 1) >> 8), 0, (byte)(image.Height - 1), (byte)((image.Height - 1) >> 8), 0];
        byte[] exifChunk = [.. "EXIF"u8.ToArray(), .. U32((uint)exif.Length), .. exif, .. (exif.Length % 2 == 1 ? new byte[1] : [])];
        byte[] body = [.. "WEBP"u8.ToArray(), .. vp8x, .. vp8l, .. exifChunk];
        return [.. "RIFF"u8.ToArray(), .. U32((uint)body.Length), .. body];
    }

    [Theory]
    [InlineData(Container.JpegApp1)]
    [InlineData(Container.PngExifChunk)]
    [InlineData(Container.PngRawProfileText)]
    [InlineData(Container.PngRawProfileCompressedText)]
    [InlineData(Container.WebpExifChunk)]
    public void WellFormedExifStillTurnsTheImageUpright(Container container)
    {
        var crop = CropDecoder.Decode(new MemoryStream(Stored(container, Exif(6))));

        Assert.Equal((60, 30), (crop.Height, crop.Width));
        AssertClose(Red, At(crop, 5, 15), 12);
        AssertClose(Blue, At(crop, 55, 15), 12);
    }

    [Theory]
    [InlineData(Container.JpegApp1)]
    [InlineData(Container.PngExifChunk)]
    [InlineData(Container.PngRawProfileText)]
    [InlineData(Container.PngRawProfileCompressedText)]
    [InlineData(Container.WebpExifChunk)]
    public void ExifDirectoryLoopIsCorruptInEveryContainer(Container container)
    {
        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(Stored(container, LoopingExif()))));

        Assert.Equal("corrupt_image", e.Code);
        Assert.Contains("EXIF", e.Message);
        Assert.Contains("loop", e.Message);
    }

    [Theory]
    [InlineData(Container.JpegApp1)]
    [InlineData(Container.PngExifChunk)]
    [InlineData(Container.WebpExifChunk)]
    public void GpsPointerInsideTheExifSubDirectoryIsCorrupt(Container container)
    {
        // No loop: IFD0 (bytes 8..37) -> EXIF sub-directory (at 38) -> its own GPS pointer (to 56). ImageSharp 2.1 fails on
        // the nested pointer as on a loop ("Collection was modified").
        byte[] sub = [.. U16(1), .. U16(34853), .. U16(4), .. U32(1), .. U32(56), .. U32(0)]; // 18 bytes at 38
        byte[] gps = [.. U16(0), .. U32(0)];
        var exif = Exif(1, (34665, 38), [.. sub, .. gps]);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(Stored(container, exif))));

        Assert.Contains("sub-directory", e.Message);
    }

    [Fact]
    public void ExifEntryLargerThanItsBlockIsCorrupt()
    {
        // One entry: tag 270 (ImageDescription), LONG x 0x3FFFFFFF: 4 GiB of values in a 26-byte block. ImageSharp's 32-bit
        // bounds check wraps around and it allocates count x size bytes.
        byte[] exif = [.. "II*\0"u8.ToArray(), .. U32(8), .. U16(1), .. U16(270), .. U16(4), .. U32(0x3FFFFFFF), .. U32(16), .. U32(0)];

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(Stored(Container.PngExifChunk, exif))));

        Assert.Contains("more than the 26-byte EXIF block holds", e.Message);
    }

    [Fact]
    public void ExifValueOffsetPastTheBlockIsSkippedAsImageSharpSkipsIt()
    {
        // An EXIF cut at its segment's end (a MakerNote pointing past it) is common in camera files: tolerated.
        byte[] makerNote = [.. U16(37500), .. U16(7), .. U32(8), .. U32(5000)];
        var exif = Exif(6);
        byte[] withNote = [.. exif[..8], .. U16(2), .. exif[10..22], .. makerNote, .. U32(0)];

        var crop = CropDecoder.Decode(new MemoryStream(Stored(Container.PngExifChunk, withNote)));

        Assert.Equal((60, 30), (crop.Height, crop.Width));
    }

    [Theory]
    [InlineData("abc", "not a decimal number")] // ImageSharp: FormatException, a 500 before
    [InlineData("2000000000", "declares 2,000,000,000 bytes")] // ImageSharp: allocates 2 GB first
    [InlineData("100", "declares 100 bytes")] // hex shorter than declared: ImageSharp loops forever on the last empty line
    public void RawProfileWhoseLengthTheHexCannotFillIsCorrupt(string length, string expected)
    {
        using var image = new Image<Rgb24>(4, 3, Red);
        var text = Encoding.Latin1.GetBytes($"Raw profile type exif\0\nexif\n {length}\n457869660000\n");
        var bytes = WithPngChunk(image, "tEXt", text);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TextThatIsNotARawExifProfileIsIgnoredAsImageSharpIgnoresIt()
    {
        using var image = new Image<Rgb24>(4, 3, Red);
        var bytes = WithPngChunk(image, "tEXt", Encoding.Latin1.GetBytes("Raw profile type exif\0just a comment"));

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        AssertClose(Red, At(crop, 1, 1), 0);
    }

    [Fact]
    public void TiffSubDirectoryHoldingAnotherPointerIsCorrupt()
    {
        using var image = new Image<Rgb24>(8, 4, Red);
        var tiff = Encode(image, new SixLabors.ImageSharp.Formats.Tiff.TiffEncoder()).ToList();
        // Turn the XResolution entry (282, RATIONAL) into an EXIF pointer to a sub-directory appended at the end, which
        // holds a GPS pointer to an empty directory after it.
        var bytes = tiff.ToArray();
        int entry = TiffBytes.Entry(bytes, 282);
        int sub = bytes.Length + (bytes.Length & 1);
        byte[] tail = [.. new byte[sub - bytes.Length], .. U16(1), .. U16(34853), .. U16(4), .. U32(1), .. U32((uint)(sub + 18)), .. U32(0),
            .. U16(1), .. U16(274), .. U16(3), .. U32(1), .. U32(1), .. U32(0)];
        bytes = [.. bytes, .. tail];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(entry), 34665);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(entry + 2), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(entry + 4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(entry + 8), (uint)sub);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("holds another directory pointer", e.Message);
    }
}
