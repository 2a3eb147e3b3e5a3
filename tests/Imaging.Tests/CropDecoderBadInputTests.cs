using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>Bad input ends in a typed <see cref="ImageInputException"/> with a stable code, never anything else.</summary>
public class CropDecoderBadInputTests
{
    private static byte[] SmallJpeg()
    {
        using var image = TopRedBottomBlue(32, 64);
        return Encode(image, new JpegEncoder { Quality = 90 });
    }

    [Fact]
    public void ZeroBytesAreNotAnImage()
    {
        var e = Assert.Throws<NotAnImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream()));
        Assert.Equal("not_an_image", e.Code);
    }

    [Fact]
    public void RandomBytesAreNotAnImage()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);

        var e = Assert.Throws<NotAnImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
        Assert.Equal("not_an_image", e.Code);
    }

    [Fact]
    public void TextIsNotAnImage()
    {
        var bytes = "<html><body>not a jpeg</body></html>"u8.ToArray();
        Assert.Throws<NotAnImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void TruncatedJpegIsCorrupt(double keep)
    {
        var bytes = SmallJpeg();
        var cut = bytes[..(int)(bytes.Length * keep)];

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(cut)));
        Assert.Equal("corrupt_image", e.Code);
    }

    [Fact]
    public void JpegWithTrailingBytesAfterEndStillDecodes()
    {
        var bytes = SmallJpeg().Concat(new byte[] { 1, 2, 3, 4 }).ToArray();
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));
        AssertClose(Red, At(crop, 40, 64), 12);
    }

    [Fact]
    public void PngWithBrokenChunkIsCorrupt()
    {
        using var image = TopRedBottomBlue(32, 64);
        var bytes = Encode(image, new PngEncoder());
        int idat = bytes.AsSpan().IndexOf("IDAT"u8);
        bytes[idat + 6] ^= 0xFF; // flip a data byte: the chunk CRC no longer matches

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
        Assert.Equal("corrupt_image", e.Code);
    }

    [Fact]
    public void TruncatedPngIsCorrupt()
    {
        using var image = Noise(64, 64, seed: 3);
        var bytes = Encode(image, new PngEncoder());

        Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes[..(bytes.Length / 2)])));
    }

    [Fact]
    public void JpegHeaderClaiming50000x50000IsRefusedBeforeAllocation()
    {
        var bytes = SmallJpeg();
        int sof = bytes.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
        Assert.True(sof > 0, "baseline SOF0 marker expected in ImageSharp's JPEG");
        // SOF0: FF C0, length(2), precision(1), height(2), width(2) — big-endian.
        bytes[sof + 5] = 0xC3; bytes[sof + 6] = 0x50;
        bytes[sof + 7] = 0xC3; bytes[sof + 8] = 0x50;

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("image_too_large", e.Code);
        Assert.Contains("50000x50000", e.Message);
        Assert.True(allocated < 16L * 1024 * 1024, $"allocated {allocated:N0} bytes before refusing");
    }

    [Fact]
    public void BmpHeaderClaimingHugeSizeIsRefused()
    {
        using var image = new Image<Rgb24>(4, 4, Red);
        var bytes = Encode(image, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        BitConverter.GetBytes(50_000).CopyTo(bytes, 18); // BITMAPINFOHEADER width
        BitConverter.GetBytes(50_000).CopyTo(bytes, 22); // height

        Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));
    }

    [Fact]
    public void PixelCapIsConfigurable()
    {
        using var image = TopRedBottomBlue(100, 100);
        var bytes = Encode(image, new PngEncoder());

        Assert.Throws<ImageTooLargeException>(
            () => CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { MaxPixels = 9_999 }));
        CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { MaxPixels = 10_000 });
    }

    [Fact]
    public void BytesOverTheCapAreTooLargeForSeekableAndUnseekableStreams()
    {
        var bytes = SmallJpeg();
        var options = new CropDecoderOptions { MaxBytes = bytes.Length - 1 };

        Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes), options));
        Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new ForwardOnlyStream(bytes), options));
        CropDecoder.DecodeAndResize(new ForwardOnlyStream(bytes), new CropDecoderOptions { MaxBytes = bytes.Length });
    }

    [Fact]
    public void FileErrorsNameTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sanreid-{Guid.NewGuid():N}.jpg");
        File.WriteAllBytes(path, "garbage"u8.ToArray());
        try
        {
            var e = Assert.Throws<NotAnImageException>(() => CropDecoder.DecodeAndResizeFile(path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // RIFF "WEBP" with VP8X (animation flag), ANIM and two ANMF frames each holding the still's VP8L chunk
    // (WebP container specification, "Extended File Format" and "Animation").
    private static byte[] AnimatedWebp(int width, int height)
    {
        using var image = TopRedBottomBlue(width, height);
        var still = Encode(image, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        var bitstream = still[12..]; // the VP8L chunk, header included
        static byte[] U24(int v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16)];
        static byte[] Chunk(string fourCc, byte[] data) =>
            [.. System.Text.Encoding.ASCII.GetBytes(fourCc), .. BitConverter.GetBytes(data.Length), .. data, .. (data.Length % 2 == 1 ? new byte[1] : [])];
        byte[] frame = [.. U24(0), .. U24(0), .. U24(width - 1), .. U24(height - 1), .. U24(100), 0, .. bitstream];
        byte[] body =
        [
            .. "WEBP"u8,
            .. Chunk("VP8X", [0x02, 0, 0, 0, .. U24(width - 1), .. U24(height - 1)]),
            .. Chunk("ANIM", [0, 0, 0, 0, 0, 0]),
            .. Chunk("ANMF", frame),
            .. Chunk("ANMF", frame),
        ];
        return [.. "RIFF"u8, .. BitConverter.GetBytes(body.Length), .. body];
    }

    [Fact]
    public void AnimatedWebpIsUnsupported()
    {
        var bytes = AnimatedWebp(16, 32);

        var e = Assert.Throws<UnsupportedImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Equal("unsupported_image", e.Code);
        Assert.Contains("animated", e.Message);
    }

    [Fact]
    public void UnsupportedErrorsNameTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sanreid-{Guid.NewGuid():N}.webp");
        File.WriteAllBytes(path, AnimatedWebp(8, 8));
        try
        {
            var e = Assert.Throws<UnsupportedImageException>(() => CropDecoder.DecodeAndResizeFile(path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MissingFileAndDirectoryPassThroughAsFileSystemErrors()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"sanreid-{Guid.NewGuid():N}");
        Assert.Throws<FileNotFoundException>(() => CropDecoder.DecodeAndResizeFile(Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.jpg")));
        Assert.Throws<DirectoryNotFoundException>(() => CropDecoder.DecodeAndResizeFile(Path.Combine(dir, "a.jpg")));
        Assert.Throws<UnauthorizedAccessException>(() => CropDecoder.DecodeAndResizeFile(Path.GetTempPath()));
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
