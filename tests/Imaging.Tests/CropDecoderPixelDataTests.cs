using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// Pixel data that cannot fill the declared image is a corrupt image (400 corrupt_image with a message), not a made-up
/// image (ImageSharp fills what is missing with zeros), wherever that can be computed surely: a PNG's IDAT stream, a
/// TIFF's strips, a run-length BMP, a GIF's LZW code size (JPEG scans: <see cref="CropDecoderWorkBoundTests"/>).
/// </summary>
public class CropDecoderPixelDataTests
{
    // The PNG with its IDAT replaced by a complete zlib stream of the first `keep` bytes of its filtered rows.
    private static byte[] PngWithShortStream(Image image, double keep)
    {
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        var idat = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress))
            z.CopyTo(inflated);
        var rows = inflated.ToArray();
        using var shorter = new MemoryStream();
        using (var z = new ZLibStream(shorter, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(rows, 0, (int)(rows.Length * keep));
        return PngChunks.Join(chunks.Where(c => c.Type != "IDAT").Take(1)
            .Append(("IDAT", shorter.ToArray()))
            .Concat(chunks.Where(c => c.Type != "IDAT").Skip(1)));
    }

    [Fact]
    public void PngWhosePixelStreamEndsEarlyIsCorrupt()
    {
        using var image = Noise(40, 30, seed: 5);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(PngWithShortStream(image, 1.0 / 3))));

        Assert.Equal("corrupt_image", e.Code);
        Assert.Contains("40x30", e.Message);
    }

    [Fact]
    public void TransparentPngWhosePixelStreamEndsEarlyIsCorruptNotEmpty()
    {
        // The missing rows would decode as alpha 0; the answer is "cut off", not "nothing visible".
        using var image = new Image<Rgba32>(40, 30, new Rgba32(0, 0, 0, 0));
        image[5, 5] = new Rgba32(255, 0, 0, 255);

        Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(PngWithShortStream(image, 0.5))));
    }

    [Theory]
    [InlineData(PngInterlaceMode.None, PngColorType.Rgb, PngBitDepth.Bit8)]
    [InlineData(PngInterlaceMode.Adam7, PngColorType.Rgb, PngBitDepth.Bit8)]
    [InlineData(PngInterlaceMode.Adam7, PngColorType.RgbWithAlpha, PngBitDepth.Bit16)]
    [InlineData(PngInterlaceMode.None, PngColorType.Palette, PngBitDepth.Bit1)]
    [InlineData(PngInterlaceMode.Adam7, PngColorType.Grayscale, PngBitDepth.Bit2)]
    public void CompletePngsOfEveryLayoutDecode(PngInterlaceMode interlace, PngColorType colour, PngBitDepth depth)
    {
        // Odd sizes, so the last Adam7 passes and the packed rows are partial: the expected size must count them exactly.
        using var image = TopRedBottomBlue(13, 11);
        var bytes = Encode(image, new PngEncoder { InterlaceMethod = interlace, ColorType = colour, BitDepth = depth });

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        Assert.Equal((11, 13), (crop.Height, crop.Width));
    }

    [Fact]
    public void TiffUncompressedStripShorterThanItsRowsIsCorrupt()
    {
        // 10x4 RGB needs 120 bytes; the strip holds 60 (ImageSharp decoded the rest as black: a 200 with a made-up image).
        var bytes = HandTiff.Rgb(10, 4, pixels: new byte[60]);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("holds 60 bytes, but its 4 rows of 10 pixels at 24 bits need 120", e.Message);
    }

    [Fact]
    public void TiffWithFewerStripsThanRowsNeedIsCorrupt()
    {
        // RowsPerStrip 2 for 4 rows needs 2 strips; the file has 1.
        var bytes = HandTiff.Rgb(10, 4, rowsPerStrip: 2, pixels: HandTiff.Pixels(10, 2));

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("need 2", e.Message);
    }

    [Fact]
    public void PlanarTiffWithOneStripForThreePlanesIsCorrupt()
    {
        var bytes = HandTiff.Rgb(4, 2, replace: (284, 3, [2]));

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("for each of 3 planes need 3", e.Message);
    }

    [Fact]
    public void TiffWith64BitSamplesIsUnsupported()
    {
        var bytes = HandTiff.Rgb(4, 2, replace: (258, 3, [64, 64, 64]));

        var e = Assert.Throws<UnsupportedImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Equal("unsupported_image", e.Code);
        Assert.Contains("64 bits per sample", e.Message);
    }

    [Fact]
    public void TiffWhoseSampleCountDisagreesWithItsBitsPerSampleIsCorrupt()
    {
        var bytes = HandTiff.Rgb(4, 2, replace: (277, 3, [65535]));

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("65,535 samples per pixel but 3 BitsPerSample values", e.Message);
    }

    [Fact]
    public void CompleteHandWrittenTiffDecodesExactly()
    {
        var crop = CropDecoder.Decode(new MemoryStream(HandTiff.Rgb(10, 4)));

        Assert.Equal(HandTiff.Pixels(10, 4), crop.Pixels);
    }

    // A 4x4 8-bit RLE BMP (BITMAPINFOHEADER, 2-colour palette) holding `rle` as its pixel data.
    private static byte[] Rle8Bmp(byte[] rle)
    {
        var o = new List<byte>();
        int offset = 14 + 40 + 8;
        o.AddRange([(byte)'B', (byte)'M', .. BitConverter.GetBytes(offset + rle.Length), 0, 0, 0, 0, .. BitConverter.GetBytes(offset)]);
        o.AddRange([.. BitConverter.GetBytes(40), .. BitConverter.GetBytes(4), .. BitConverter.GetBytes(4), 1, 0, 8, 0,
            .. BitConverter.GetBytes(1), .. BitConverter.GetBytes(rle.Length), .. new byte[8], .. BitConverter.GetBytes(2), .. new byte[4]]);
        o.AddRange([30, 20, 220, 0, 200, 40, 20, 0]); // palette: 0 = red, 1 = blue (BGRx)
        o.AddRange(rle);
        return o.ToArray();
    }

    [Fact]
    public void RunLengthBmpThatFillsEveryRowDecodes()
    {
        var crop = CropDecoder.Decode(new MemoryStream(Rle8Bmp([4, 0, 0, 0, 4, 0, 0, 0, 4, 1, 0, 0, 4, 1, 0, 1])));

        AssertClose(Blue, At(crop, 0, 0), 0); // bottom-up: the last rows written are the top
        AssertClose(Red, At(crop, 3, 3), 0);
    }

    [Theory]
    [InlineData(new byte[] { 4, 0, 0, 0, 4, 0 })] // two of four rows, then nothing
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 8, 1, 1 })] // an absolute run of 8 pixels cut after 2
    [InlineData(new byte[] { 4, 0, 0, 2, 1 })] // a delta escape cut inside its two bytes
    public void RunLengthBmpThatStopsBeforeTheEndOfBitmapIsCorrupt(byte[] rle)
    {
        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(Rle8Bmp(rle))));

        Assert.Contains("run-length data ends after", e.Message);
    }

    [Fact]
    public void RunLengthBmpEndingWithItsEndOfBitmapCodeDecodes()
    {
        // End-of-bitmap after one row: the rest is undefined, as the format allows.
        var crop = CropDecoder.Decode(new MemoryStream(Rle8Bmp([4, 0, 0, 1])));

        Assert.Equal((4, 4), (crop.Height, crop.Width));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    public void GifWithAnLzwCodeSizeOutsideTwoToEightIsCorrupt(byte codeSize)
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var gif = Encode(image, new GifEncoder());
        // The minimum code size is the byte after the image descriptor (10 bytes from its 0x2C) and any local colour table.
        int descriptor = Array.IndexOf(gif, (byte)0x2C, 13 + 3 * (1 << ((gif[10] & 7) + 1)));
        int local = (gif[descriptor + 9] & 0x80) != 0 ? 3 * (1 << ((gif[descriptor + 9] & 7) + 1)) : 0;
        gif[descriptor + 10 + local] = codeSize;

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(gif)));

        Assert.Contains($"LZW minimum code size of {codeSize}", e.Message);
    }
}
