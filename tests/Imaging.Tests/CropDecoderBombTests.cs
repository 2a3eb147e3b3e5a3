using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// Small files that would cost far more to decode than their size (decompression bombs, scan bombs, extreme aspect ratios)
/// are refused with a typed error before the expensive work, and the ordinary files next to them still decode.
/// </summary>
public class CropDecoderBombTests
{
    private static byte[] PngWithChunkAfterHeader(string type, byte[] data)
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        chunks.Insert(1, (type, data));
        return PngChunks.Join(chunks);
    }

    private static byte[] CompressedText(string type, byte[] zlib) => type switch
    {
        "zTXt" => [.. "Comment"u8, 0, 0, .. zlib], // keyword, method 0
        "iTXt" => [.. "Comment"u8, 0, 1, 0, 0, 0, .. zlib], // keyword, compressed, method 0, no language, no translation
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    [Theory]
    [InlineData("zTXt")]
    [InlineData("iTXt")]
    public void PngTextChunkInflatingTo64MiBIsRefusedWithoutInflatingIt(string type)
    {
        var bytes = PngWithChunkAfterHeader(type, CompressedText(type, PngChunks.ZlibZeros(64L << 20)));
        Assert.True(bytes.Length < 100_000, $"the bomb is {bytes.Length:N0} bytes");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("image_too_large", e.Code);
        Assert.Contains(type, e.Message);
        Assert.True(allocated < 8L * 1024 * 1024, $"allocated {allocated:N0} bytes before refusing");
    }

    [Fact]
    public void PngTextChunksAreBoundedTogetherNotEachAlone()
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        var halfMiB = CompressedText("zTXt", PngChunks.ZlibZeros(512 * 1024));
        chunks.InsertRange(1, Enumerable.Repeat(("zTXt", halfMiB), 3));

        Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(PngChunks.Join(chunks))));
        chunks.RemoveAt(1);
        CropDecoder.DecodeAndResize(new MemoryStream(PngChunks.Join(chunks))); // 1 MiB in all: at the limit, accepted
    }

    [Theory]
    [InlineData("zTXt")]
    [InlineData("iTXt")]
    public void PngWithOrdinaryCompressedTextStillDecodes(string type)
    {
        var text = Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Repeat("a person walking", 2000)));
        using var zlib = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(zlib, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            z.Write(text);
        var bytes = PngWithChunkAfterHeader(type, CompressedText(type, zlib.ToArray()));

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(Red, At(crop, 128, 64), 0);
    }

    [Fact]
    public void ProgressiveJpegWithMoreScansThanTheLimitIsCorrupt()
    {
        int limit = CropDecoderOptions.Default.MaxJpegScans;
        var bytes = ProgressiveJpeg.FlatGrey(1024, 1024, acScans: limit); // + the DC scan = limit + 1
        Assert.True(bytes.Length < 32_000, $"the bomb is {bytes.Length:N0} bytes");

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("scans", e.Message);
    }

    [Fact]
    public void ProgressiveJpegWithinTheScanLimitDecodes()
    {
        var bytes = ProgressiveJpeg.FlatGrey(64, 128, acScans: 9); // 10 scans, as libjpeg's progressive colour script

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(new Rgb24(128, 128, 128), At(crop, 100, 50), 1);
        Assert.Throws<CorruptImageException>(
            () => CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { MaxJpegScans = 9 }));
    }

    [Theory]
    [InlineData(1, 20_000)]
    [InlineData(20_000, 1)]
    public void ExtremeAspectUnderThePixelCapIsRefusedBySideLength(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, Red);
        var bytes = Encode(image, new PngEncoder());

        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains($"{width}x{height}", e.Message);
        Assert.Contains("16,384", e.Message);
    }

    [Theory]
    [InlineData(40_000_000, 1)]
    [InlineData(1, 40_000_000)]
    public void PngHeaderClaimingAStripAtThePixelCapIsTooLarge(int width, int height)
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var chunks = PngChunks.Split(Encode(image, new PngEncoder()));
        var header = chunks[0].Data.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        chunks[0] = ("IHDR", header);
        var bytes = PngChunks.Join(chunks);

        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains($"{width}x{height}", e.Message);
    }

    [Fact]
    public void SideCapIsConfigurable()
    {
        using var image = new Image<Rgb24>(10, 300, Red);
        var bytes = Encode(image, new PngEncoder());

        Assert.Throws<ImageTooLargeException>(
            () => CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { MaxSide = 299 }));
        CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { MaxSide = 300 });
    }
}
