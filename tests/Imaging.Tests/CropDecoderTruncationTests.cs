using System.Buffers.Binary;
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

/// <summary>
/// A file cut short is refused as corrupt instead of decoding with filled-in pixels; a complete file with extra bytes
/// after its end still decodes.
/// </summary>
public class CropDecoderTruncationTests
{
    public static TheoryData<string> Containers => new() { "bmp", "gif", "webp-lossless", "webp-lossy", "tiff" };

    private static IImageEncoder EncoderFor(string name) => name switch
    {
        "bmp" => new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
        "gif" => new GifEncoder(),
        "webp-lossless" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        "webp-lossy" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 90 },
        "tiff" => new TiffEncoder(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Containers))]
    public void TruncatedFileIsCorrupt(string format)
    {
        using var image = Noise(64, 64, seed: 5);
        var bytes = Encode(image, EncoderFor(format));
        CropDecoder.DecodeAndResize(new MemoryStream(bytes)); // whole: fine

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes[..(bytes.Length * 6 / 10)])));

        Assert.Contains("truncated", e.Message);
    }

    public static TheoryData<string> AllFormats => new() { "jpeg", "png", "bmp", "gif", "webp-lossless", "webp-lossy", "tiff" };

    [Theory]
    [MemberData(nameof(AllFormats))]
    public void EveryCutOfAFileIsRefusedWithATypedError(string format)
    {
        using var image = Noise(24, 40, seed: 11);
        var bytes = Encode(image, format switch
        {
            "jpeg" => new JpegEncoder { Quality = 90 },
            "png" => new PngEncoder(),
            _ => EncoderFor(format),
        });

        // The last byte may be a GIF trailer or a WebP pad byte, both of which decoders do without.
        for (int length = 1; length < bytes.Length - 1; length += 1 + length / 50)
        {
            var cut = bytes[..length];
            var e = Record.Exception(() => CropDecoder.DecodeAndResize(new MemoryStream(cut)));
            Assert.True(e is ImageInputException, $"{format} cut to {length} of {bytes.Length} bytes: {e?.GetType().Name ?? "decoded"}");
        }
    }

    [Fact]
    public void BmpHeaderClaiming6000x6000WithA4x4BodyIsCorrupt()
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var bytes = Encode(image, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        BitConverter.GetBytes(6000).CopyTo(bytes, 18); // BITMAPINFOHEADER width
        BitConverter.GetBytes(6000).CopyTo(bytes, 22); // height: 36 MP, under the 40 MP cap

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("6000x6000", e.Message);
    }

    private static List<(string Type, byte[] Data)> NoisePngWithFourIdats()
    {
        using var image = Noise(64, 64, seed: 9);
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        int idat = chunks.FindIndex(c => c.Type == "IDAT");
        var data = chunks[idat].Data;
        Assert.Equal("IEND", chunks[idat + 1].Type); // ImageSharp writes one IDAT for an image this small
        chunks.RemoveAt(idat);
        int quarter = data.Length / 4;
        for (int i = 3; i >= 0; i--)
            chunks.Insert(idat, ("IDAT", data[(i * quarter)..(i == 3 ? data.Length : (i + 1) * quarter)]));
        return chunks;
    }

    [Fact]
    public void PngWithSeveralIdatChunksDecodes()
    {
        var bytes = PngChunks.Join(NoisePngWithFourIdats());
        using var expected = Noise(64, 64, seed: 9);

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        Assert.Equal(expected[10, 20], At(crop, 20, 10));
        Assert.Equal(expected[63, 63], At(crop, 63, 63));
    }

    [Fact]
    public void PngCutBetweenIdatChunksIsCorrupt()
    {
        var chunks = NoisePngWithFourIdats();
        var cut = PngChunks.Join(chunks.Take(chunks.FindIndex(c => c.Type == "IDAT") + 2)); // header + 2 of 4 IDATs, no IEND

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(cut)));

        Assert.Contains("IEND", e.Message);
    }

    [Fact]
    public void JpegFollowedByDataWithAScanMarkerStillDecodes()
    {
        // A "motion photo": a complete JPEG, then other data (here a second JPEG's start, cut) that holds FF DA.
        using var image = TopRedBottomBlue(32, 64);
        var jpeg = Encode(image, new JpegEncoder { Quality = 90 });
        byte[] trailer = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0x56];
        var bytes = jpeg.Concat(trailer).ToArray();

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(Red, At(crop, 40, 64), 12);
        AssertClose(Blue, At(crop, 220, 64), 12);
    }

    [Fact]
    public void JpegCutInsideItsScanIsCorruptEvenWithAnExifThumbnail()
    {
        // The EXIF thumbnail (inside APP1) has its own scan and end marker; the walk skips APP1 by its length.
        using var thumb = TopRedBottomBlue(8, 16);
        var thumbJpeg = Encode(thumb, new JpegEncoder { Quality = 50 });
        using var image = Noise(64, 128, seed: 4);
        var jpeg = Encode(image, new JpegEncoder { Quality = 90 });
        var app1 = new List<byte> { 0xFF, 0xE1, 0, 0 };
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(thumbJpeg);
        BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(app1)[2..], (ushort)(app1.Count - 2));
        var bytes = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();
        int scan = bytes.AsSpan().LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes[..(scan + 200)])));

        Assert.Contains("truncated", e.Message);
    }
}
