using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>Every supported format and colour model decodes to 8-bit RGB at 256x128 with its colours kept.</summary>
public class CropDecoderFormatTests
{
    public static TheoryData<string, int> Formats => new()
    {
        { "jpeg", 12 }, { "png", 0 }, { "webp-lossless", 0 }, { "webp-lossy", 16 }, { "bmp", 0 }, { "gif", 24 }, { "tiff", 0 },
    };

    private static IImageEncoder EncoderFor(string name) => name switch
    {
        "jpeg" => new JpegEncoder { Quality = 95 },
        "png" => new PngEncoder(),
        "webp-lossless" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        "webp-lossy" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 95 },
        "bmp" => new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
        "gif" => new GifEncoder(),
        "tiff" => new TiffEncoder(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void EachFormatDecodesToRgbAtTargetSizeWithColoursKept(string format, int tolerance)
    {
        using var image = TopRedBottomBlue(64, 160);
        var bytes = Encode(image, EncoderFor(format));

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        Assert.Equal(256, crop.Height);
        Assert.Equal(128, crop.Width);
        Assert.Equal(256 * 128 * 3, crop.Pixels.Length);
        AssertClose(Red, At(crop, 40, 64), tolerance);
        AssertClose(Blue, At(crop, 220, 64), tolerance);
    }

    [Fact]
    public void AspectRatioIsNotPreservedTheCropIsStretched()
    {
        using var wide = TopRedBottomBlue(400, 20);
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(Encode(wide, new PngEncoder())));

        Assert.Equal((256, 128), (crop.Height, crop.Width));
        // Stretching keeps the red/blue boundary at half height; letterboxing or cropping would not.
        AssertClose(Red, At(crop, 100, 5), 0);
        AssertClose(Blue, At(crop, 156, 120), 0);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(10, 20)]
    public void TinyImagesAreUpscaled(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, Red);
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(Encode(image, new PngEncoder())));

        Assert.Equal((256, 128), (crop.Height, crop.Width));
        AssertClose(Red, At(crop, 255, 127), 0);
    }

    [Fact]
    public void CustomTargetSizeIsHonoured()
    {
        using var image = TopRedBottomBlue(30, 60);
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(Encode(image, new PngEncoder())), new CropDecoderOptions { Height = 32, Width = 16 });

        Assert.Equal((32, 16, 32 * 16 * 3), (crop.Height, crop.Width, crop.Pixels.Length));
    }

    [Fact]
    public void DecodeWithoutResizeKeepsTheOriginalSize()
    {
        using var image = TopRedBottomBlue(37, 91);
        var crop = CropDecoder.Decode(new MemoryStream(Encode(image, new PngEncoder())));

        Assert.Equal((91, 37), (crop.Height, crop.Width));
        AssertClose(Red, At(crop, 0, 0), 0);
        AssertClose(Blue, At(crop, 90, 36), 0);
    }
}
