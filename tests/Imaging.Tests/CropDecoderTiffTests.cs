using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// TIFF (as cameras and forensic tools export it) is accepted with the same limits and structure checks as the other
/// formats: the first page of a multi-page file, its size checked before decoding, a cut file refused.
/// </summary>
public class CropDecoderTiffTests
{
    private static byte[] Tiff(Image image, TiffCompression compression = TiffCompression.None, TiffBitsPerPixel? bits = null) =>
        Encode(image, new TiffEncoder { Compression = compression, BitsPerPixel = bits ?? TiffBitsPerPixel.Bit24 });

    [Theory]
    [InlineData(TiffCompression.None)]
    [InlineData(TiffCompression.Deflate)]
    [InlineData(TiffCompression.Lzw)]
    [InlineData(TiffCompression.PackBits)]
    public void CompressedTiffDecodesWithColoursKept(TiffCompression compression)
    {
        using var image = TopRedBottomBlue(40, 100);

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(Tiff(image, compression)));

        Assert.Equal((256, 128), (crop.Height, crop.Width));
        AssertClose(Red, At(crop, 40, 64), 0);
        AssertClose(Blue, At(crop, 220, 64), 0);
    }

    [Fact]
    public void GreyTiffDecodesToRgb()
    {
        using var image = new Image<L8>(16, 32, new L8(77));

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(Tiff(image, bits: TiffBitsPerPixel.Bit8)));

        AssertClose(new Rgb24(77, 77, 77), At(crop, 128, 64), 0);
    }

    [Fact]
    public void MultiPageTiffDecodesItsFirstPageOnly()
    {
        using var red = new Image<Rgb24>(8, 16, Red);
        using var blue = new Image<Rgb24>(8, 16, Blue);
        var twoPages = TiffPages.Join(Tiff(red), Tiff(blue));
        using (var both = Image.Load(twoPages))
            Assert.Equal(2, both.Frames.Count); // the join is a valid two-page TIFF

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(twoPages));

        AssertClose(Red, At(crop, 128, 64), 0);
    }

    [Fact]
    public void TiffWithMoreDirectoriesThanTheLimitIsCorrupt()
    {
        using var page = new Image<Rgb24>(1, 1, Red);
        var one = Tiff(page);
        var many = TiffPages.Join(Enumerable.Repeat(one, 300).ToArray());

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(many)));

        Assert.Contains("256 directories", e.Message);
    }

    [Fact]
    public void TiffHeaderClaiming50000x50000IsTooLargeBeforeDecoding()
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var bytes = Tiff(image);
        TiffBytes.SetInlineNumber(bytes, TiffBytes.ImageWidth, 50_000);
        TiffBytes.SetInlineNumber(bytes, TiffBytes.ImageLength, 50_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("50000x50000", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L * 1024 * 1024);
    }
}

/// <summary>A known image format the decoder does not read is unsupported_image naming the accepted formats, never "not an image".</summary>
public class CropDecoderUnsupportedFormatTests
{
    public static TheoryData<string, byte[]> KnownFormats => new()
    {
        { "HEIF/HEIC", [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, 0, 0, 0, 0] },
        { "AVIF", [0, 0, 0, 0x1C, .. "ftypavif"u8, 0, 0, 0, 0, .. "avifmif1miaf"u8, 0, 0, 0, 0] },
        { "JPEG 2000", [0, 0, 0, 0x0C, .. "jP  "u8, 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 0x14] },
        { "JPEG XL", [0xFF, 0x0A, 0xFA, 0x7F, 0x01, 0x00] },
        { "Photoshop (PSD)", [.. "8BPS"u8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3] },
        { "Windows icon (ICO/CUR)", [0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0] },
        { "Netpbm (PBM/PGM/PPM/PAM)", [.. "P6\n2 2\n255\n"u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
        { "QOI", [.. "qoif"u8, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0] },
    };

    [Theory]
    [MemberData(nameof(KnownFormats))]
    public void KnownButUnsupportedFormatIsUnsupportedNamingTheAcceptedOnes(string name, byte[] bytes)
    {
        var e = Assert.Throws<UnsupportedImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Equal("unsupported_image", e.Code);
        Assert.Contains(name, e.Message);
        Assert.Contains("JPEG, PNG, WebP, BMP, GIF or TIFF", e.Message);
    }

    [Fact]
    public void AnMp4VideoIsStillNotAnImage()
    {
        byte[] mp4 = [0, 0, 0, 0x18, .. "ftypisom"u8, 0, 0, 2, 0, .. "isomiso2"u8, 0, 0, 0, 8];
        Assert.Throws<NotAnImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(mp4)));
    }
}
