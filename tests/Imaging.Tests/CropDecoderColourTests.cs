using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>Grey, RGBA and 16-bit inputs become 8-bit RGB (alpha ignored except for a fully transparent border, 16-bit scaled).</summary>
public class CropDecoderColourTests
{
    [Fact]
    public void GreyPngBecomesRgbWithEqualChannels()
    {
        using var image = new Image<L8>(20, 40, new L8(77));
        var bytes = Encode(image, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(new Rgb24(77, 77, 77), At(crop, 128, 64), 0);
    }

    [Fact]
    public void GreyJpegBecomesRgbWithEqualChannels()
    {
        using var image = new Image<L8>(24, 48, new L8(150));
        var bytes = Encode(image, new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 95 });
        Assert.Equal(8, Image.Identify(bytes).PixelType.BitsPerPixel);

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        var p = At(crop, 128, 64);
        Assert.Equal(p.R, p.G);
        Assert.Equal(p.G, p.B);
        AssertClose(new Rgb24(150, 150, 150), p, 2);
    }

    [Fact]
    public void RgbaPngKeepsStoredColourAndIgnoresAlpha()
    {
        using var image = new Image<Rgba32>(20, 40, new Rgba32(10, 200, 90, 255));
        image[0, 0] = new Rgba32(250, 5, 5, 0); // fully transparent, stored colour red
        image[1, 0] = new Rgba32(250, 5, 5, 0);
        var bytes = Encode(image, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        AssertClose(new Rgb24(10, 200, 90), At(crop, 20, 10), 0);
        AssertClose(new Rgb24(250, 5, 5), At(crop, 0, 0), 0);
    }

    [Fact]
    public void FullyTransparentBorderIsCutOffBeforeTheResize()
    {
        using var opaque = new Image<Rgba32>(16, 32);
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 16; x++)
                opaque[x, y] = new Rgba32((byte)(x * 15), (byte)(y * 7), 60, 255);
        }

        using var padded = new Image<Rgba32>(16 + 9, 32 + 5, new Rgba32(255, 0, 255, 0)); // transparent magenta
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 16; x++)
                padded[x + 4, y + 2] = opaque[x, y];
        }

        var fromOpaque = CropDecoder.DecodeAndResize(new MemoryStream(Encode(opaque, new PngEncoder { ColorType = PngColorType.RgbWithAlpha })));
        var fromPadded = CropDecoder.DecodeAndResize(new MemoryStream(Encode(padded, new PngEncoder { ColorType = PngColorType.RgbWithAlpha })));

        Assert.Equal(fromOpaque.Pixels, fromPadded.Pixels);
    }

    [Fact]
    public void FullyTransparentImageIsRefusedAsEmpty()
    {
        using var empty = new Image<Rgba32>(32, 64, new Rgba32(0, 0, 0, 0));

        var error = Assert.Throws<EmptyImageException>(() =>
            CropDecoder.DecodeAndResize(new MemoryStream(Encode(empty, new PngEncoder { ColorType = PngColorType.RgbWithAlpha }))));

        Assert.Equal("empty_image", error.Code);
    }

    [Fact]
    public void SixteenBitPngIsScaledToEightBits()
    {
        using var image = new Image<Rgb48>(8, 16, new Rgb48(65535, 0x8080, 0x1234));
        var bytes = Encode(image, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 });
        Assert.Equal(48, Image.Identify(bytes).PixelType.BitsPerPixel);

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        // 0x8080 * 255 / 65535 = 128, 0x1234 * 255 / 65535 = 18.1
        AssertClose(new Rgb24(255, 128, 18), At(crop, 100, 50), 1);
    }

    [Fact]
    public void SixteenBitGreyPngBecomesEightBitRgb()
    {
        using var image = new Image<L16>(8, 16, new L16(0x6400));
        var bytes = Encode(image, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(new Rgb24(100, 100, 100), At(crop, 100, 50), 1);
    }
}

/// <summary>CMYK JPEGs (hand-written, see <see cref="CmykJpeg"/>) become RGB with colours not inverted.</summary>
public class CropDecoderCmykTests
{
    [Fact]
    public void CmykJpegIsRecognisedAsCmyk()
    {
        var info = Image.Identify(CmykJpeg.Flat(200, 30, 40, 255));
        Assert.Equal(JpegColorType.Cmyk, info.Metadata.GetJpegMetadata().ColorType);
    }

    [Fact]
    public void CmykJpegWithoutBlackDecodesToTheSameRgbNotInverted()
    {
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(CmykJpeg.Flat(200, 30, 40, 255)));

        // Adobe-inverted storage: R = C' * K' / 255. An inverting bug would give (55, 225, 215).
        AssertClose(new Rgb24(200, 30, 40), At(crop, 128, 64), 2);
        AssertClose(new Rgb24(200, 30, 40), At(crop, 0, 0), 2);
    }

    [Fact]
    public void CmykJpegBlackChannelDarkensEveryChannel()
    {
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(CmykJpeg.Flat(200, 30, 40, 128)));

        AssertClose(new Rgb24(100, 15, 20), At(crop, 128, 64), 2);
    }
}
