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

    [Fact]
    public void TiffIsAnAcceptedExtension()
    {
        Assert.Contains(".tif", CropDecoder.SupportedExtensions);
        Assert.Contains(".tiff", CropDecoder.SupportedExtensions);
    }
}
