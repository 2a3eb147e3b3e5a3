using System.Buffers.Binary;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// A header field (offset, length, count) that points past the end of the file is refused as corrupt before ImageSharp
/// reads the header: fast, and without any allocation the file's own length cannot justify.
/// </summary>
public class CropDecoderHeaderFieldTests
{
    private static byte[] Small(SixLabors.ImageSharp.Formats.IImageEncoder encoder, int width = 1, int height = 1)
    {
        using var image = new Image<Rgb24>(width, height, Red);
        return Encode(image, encoder);
    }

    private static void PutU32(byte[] bytes, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), value);

    // The file of the report: a valid 1x1 24-bit BMP (14 + 40 header bytes, one 4-byte row) whose file header says the
    // pixel data starts at 0x7FFFFFFF. ImageSharp 2.1 sized its palette buffer from that (OutOfMemoryException, a 500).
    private static byte[] BmpWithPixelOffsetPastTheEnd()
    {
        var bytes = Small(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        Assert.Equal(58, bytes.Length);
        PutU32(bytes, 10, 0x7FFFFFFF);
        return bytes;
    }

    public static TheoryData<string> Cases => new()
    {
        "bmp-pixel-offset", "bmp-palette-count", "bmp-info-header-size",
        "png-chunk-length", "jpeg-segment-length", "gif-colour-table", "webp-chunk-size", "webp-riff-size",
        "tiff-directory-offset", "tiff-entry-count", "tiff-strip-offsets-count", "tiff-strip-byte-count", "tiff-directory-loop",
        "tiff-tag-value-offset",
    };

    private static byte[] Craft(string kind)
    {
        switch (kind)
        {
            case "bmp-pixel-offset":
                return BmpWithPixelOffsetPastTheEnd();
            case "bmp-palette-count":
                {
                    var bytes = Small(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 });
                    PutU32(bytes, 46, 0x3FFFFFFF); // colours used: a 4 GiB palette
                    return bytes;
                }
            case "bmp-info-header-size":
                {
                    var bytes = Small(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
                    PutU32(bytes, 14, 0x7FFFFFF0);
                    return bytes;
                }
            case "png-chunk-length":
                {
                    var chunks = PngChunks.Split(Small(new PngEncoder()));
                    var bytes = PngChunks.Join(chunks);
                    int idat = bytes.AsSpan().IndexOf("IDAT"u8);
                    BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(idat - 4), 0x7FFFFFF0);
                    return bytes;
                }
            case "jpeg-segment-length":
                {
                    var bytes = Small(new JpegEncoder());
                    int dqt = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDB]);
                    bytes[dqt + 2] = 0xFF; bytes[dqt + 3] = 0xFF; // a 64 KiB quantisation segment in a ~600-byte file
                    return bytes;
                }
            case "gif-colour-table":
                {
                    var bytes = Small(new GifEncoder());
                    bytes[10] = 0xF7; // global colour table of 256 entries (768 bytes), more than the file holds
                    return bytes[..40];
                }
            case "webp-chunk-size":
                {
                    var bytes = Small(new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
                    PutU32(bytes, 16, 0x7FFFFFF0); // the VP8L chunk's size
                    return bytes;
                }
            case "webp-riff-size":
                {
                    var bytes = Small(new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
                    PutU32(bytes, 4, 0xFFFFFFF0);
                    return bytes;
                }
            case "tiff-directory-offset":
                {
                    var bytes = Small(new TiffEncoder());
                    PutU32(bytes, 4, 0x7FFFFFFF);
                    return bytes;
                }
            case "tiff-entry-count":
                {
                    var bytes = Small(new TiffEncoder());
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(TiffBytes.FirstDirectory(bytes)), 0xFFFF);
                    return bytes;
                }
            case "tiff-strip-offsets-count":
                {
                    var bytes = Small(new TiffEncoder());
                    TiffBytes.SetCount(bytes, TiffBytes.StripOffsets, 0x3FFFFFFF);
                    return bytes;
                }
            case "tiff-strip-byte-count":
                {
                    var bytes = Small(new TiffEncoder());
                    TiffBytes.SetValue(bytes, TiffBytes.StripByteCounts, 0x7FFFFFF0);
                    return bytes;
                }
            case "tiff-directory-loop":
                {
                    var bytes = Small(new TiffEncoder());
                    int ifd = TiffBytes.FirstDirectory(bytes);
                    int entries = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ifd));
                    PutU32(bytes, ifd + 2 + entries * 12, (uint)ifd); // next directory: itself
                    return bytes;
                }
            case "tiff-tag-value-offset":
                {
                    var bytes = Small(new TiffEncoder());
                    // A tag with values outside the entry (XResolution: one RATIONAL, 8 bytes) pointing past the end.
                    TiffBytes.SetValue(bytes, 282, 0x7FFFFFF0);
                    return bytes;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HeaderFieldPointingPastTheEndIsCorruptWithoutAllocatingForIt(string kind)
    {
        var bytes = Craft(kind);

        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Record.Exception(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(e is CorruptImageException, $"{kind}: {e?.GetType().Name ?? "decoded"}: {e?.Message}");
        // The file is at most a few hundred bytes: nothing about it justifies more than the decoder's fixed buffers
        // (an 80 KiB read chunk, ImageSharp's small pools). 4 MiB is far below the 2 GiB the header fields ask for.
        Assert.True(allocated < 4L * 1024 * 1024, $"{kind}: allocated {allocated:N0} bytes for a {bytes.Length}-byte file");
        // Not a benchmark: a generous bound that only a decode sized from the header (or a directory loop) would break.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{kind}: took {clock.Elapsed}");
    }

    [Fact]
    public void TheReportedBmpIs58BytesAndOtherwiseDecodes()
    {
        // The same bytes with the true offset (54) decode: only the header field is wrong.
        var bytes = BmpWithPixelOffsetPastTheEnd();
        PutU32(bytes, 10, 54);

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(Red, At(crop, 100, 60), 0);
    }

    [Theory]
    [InlineData(64, int.MinValue, "a negative height (64x-2147483648)")]
    [InlineData(64, 0, "a zero size (64x0)")]
    public void BmpSizeThatIsNotPositiveIsCorruptSayingWhichSide(int width, int height, string said)
    {
        // int.MinValue has no absolute value: a "top-down" BMP of that height stays negative (it was called a zero size).
        var bytes = Small(new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }, 64, 2);
        PutU32(bytes, 18, (uint)width);
        PutU32(bytes, 22, (uint)height);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains(said, e.Message);
    }
}
