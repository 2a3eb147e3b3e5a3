using System.Buffers.Binary;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>
/// Header fields that set how much work or memory decoding takes are bounded by what the file can justify, before
/// decoding: a TIFF's RowsPerStrip, a progressive JPEG's scans, a JPEG's metadata split over many segments; and a
/// cancelled request stops the work.
/// </summary>
public class CropDecoderWorkBoundTests
{
    [Fact]
    public void TiffRowsPerStripFarAboveTheHeightIsClampedAndDecodes()
    {
        // The tester's file: 1000x1 RGB, RowsPerStrip 300,000 (ImageSharp sized a 900 MB strip buffer from it: +400 MB RSS
        // and 3.5 s). RowsPerStrip >= height means one strip: the same image, clamped to the height.
        var bytes = HandTiff.Rgb(1000, 1, rowsPerStrip: 300_000);

        TiffStructure.CheckLayout(bytes);
        var crop = CropDecoder.Decode(new MemoryStream(HandTiff.Rgb(1000, 1, rowsPerStrip: 300_000)));

        Assert.Equal(1u, HandTiff.RowsPerStrip(bytes));
        Assert.Equal((1, 1000), (crop.Height, crop.Width));
        Assert.Equal(HandTiff.Pixels(1000, 1), crop.Pixels);
    }

    [Fact]
    public void TiffRowsPerStripTheSpecDefaultDecodes()
    {
        // 2^32 - 1 is TIFF 6.0's default ("one strip"), written explicitly by some encoders.
        var crop = CropDecoder.Decode(new MemoryStream(HandTiff.Rgb(10, 4, rowsPerStrip: uint.MaxValue)));

        Assert.Equal(HandTiff.Pixels(10, 4), crop.Pixels);
    }

    [Fact]
    public void TiffRowsPerStripZeroIsCorrupt()
    {
        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(HandTiff.Rgb(10, 4, rowsPerStrip: 0))));

        Assert.Contains("RowsPerStrip is 0", e.Message);
    }

    [Fact]
    public void TiffSamplesPerPixelBeyondAShortIsCorrupt()
    {
        // One BitsPerSample value for 436,207,617 samples: the layout check walked every sample (26 s) before refusing it.
        var bytes = HandTiff.Rgb(4, 2, replace: [(277, 4, [436_207_617]), (258, 3, [8])]);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("SamplesPerPixel is 436,207,617, not 1 to 65,535", e.Message);
    }

    [Fact]
    public void TiffWith65535SamplesAndOneBitsPerSampleValueIsUnsupported()
    {
        var bytes = HandTiff.Rgb(4, 2, replace: [(277, 3, [65535]), (258, 3, [8])]);

        var e = Assert.Throws<UnsupportedImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("65,535 samples per pixel", e.Message);
    }

    public static TheoryData<string> HangFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.GetFiles(FuzzCorpusReplayTests.CorpusDir, "hang-*").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(file));
            return data;
        }
    }

    /// <summary>
    /// AFL++'s hangs (fuzz/corpus/imaging/hang-*): 318-byte TIFFs whose SamplesPerPixel (a LONG of 436 million to 4.3
    /// billion, or a RATIONAL / SRATIONAL / LONG array read as one) came with a single BitsPerSample value; the layout check
    /// looped once per declared sample, 28 s to over 100 s each. Corrupt (the field does not fit the SHORT TIFF gives it).
    /// </summary>
    [Theory]
    [MemberData(nameof(HangFiles))]
    public void TiffThatHungTheLayoutCheckIsCorrupt(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(FuzzCorpusReplayTests.CorpusDir, name));

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Equal("corrupt_image", e.Code);
        Assert.Contains("SamplesPerPixel is", e.Message);
        // Not a benchmark (as the corpus replay): only a loop sized from the header takes seconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{name}: {clock.Elapsed}");
    }

    [Fact]
    public void ProgressiveJpegWithTinyDcRefinementScansIsCorrupt()
    {
        // Each DC refinement scan codes exactly 1 bit a block: 4 bytes cannot hold 256x256 / 64 = 1,024 blocks.
        var bytes = ProgressiveJpeg.FlatGrey(256, 256, acScans: 1, dcRefinements: 3, refinementBytes: 4);

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("holds 4 bytes of coded data, but its 1,024 blocks", e.Message);
    }

    [Fact]
    public void ProgressiveJpegWithFullDcRefinementScansDecodes()
    {
        var bytes = ProgressiveJpeg.FlatGrey(256, 256, acScans: 1, dcRefinements: 3, refinementBytes: null);

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        AssertClose(new Rgb24(128, 128, 128), At(crop, 100, 100), 1);
    }

    [Fact]
    public void BaselineJpegWhoseScanIsCutToAFewBytesIsCorrupt()
    {
        // A cut file with its end-of-image marker put back: 100 bytes for 1,536 blocks (256x256 at 4:2:0).
        using var image = Noise(256, 256, seed: 3);
        var jpeg = Encode(image, new JpegEncoder { Quality = 90 });
        int sos = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        int dataStart = sos + 2 + ((jpeg[sos + 2] << 8) | jpeg[sos + 3]);
        byte[] cut = [.. jpeg[..(dataStart + 100)], 0xFF, 0xD9];

        var e = Assert.Throws<CorruptImageException>(() => CropDecoder.DecodeAndResize(new MemoryStream(cut)));

        Assert.Contains("1,536 blocks", e.Message);
    }

    [Fact]
    public void JpegScansCoveringMoreThanTheBudgetAreTooLargeBeforeDecoding()
    {
        // 64x64 grey: 64 blocks, 4,096 pixels a scan; a DC scan + 10 AC scans cover 45,056 pixels.
        var bytes = ProgressiveJpeg.FlatGrey(64, 64, acScans: 10);
        var within = new CropDecoderOptions { MaxJpegScanPixels = 11 * 4096 };
        var over = new CropDecoderOptions { MaxJpegScanPixels = 11 * 4096 - 1 };

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes), within);
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes), over));

        Assert.Equal(256, crop.Height);
        Assert.Equal("image_too_large", e.Code);
        Assert.Contains("45,056 pixels", e.Message);
    }

    [Fact]
    public void DefaultScanBudgetRefusesAHundredPassesOverALargeImageQuickly()
    {
        // 4000x4000 grey (250,000 blocks): a valid DC scan then 100 AC scans of a few bytes each, 101 full passes =
        // 1.6 G pixels, over the default 640 M. Refused from the markers alone, before any pass.
        var bytes = ProgressiveJpeg.FlatGrey(4000, 4000, acScans: 100);

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("640,000,000", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed}");
    }

    [Theory]
    [InlineData(70, 65_000)] // 4.5 MB: over the bytes limit (the tester's 16 MB in 250 segments cost 2.5 s of CPU)
    [InlineData(256, 16)] // 256 tiny segments: over the segment limit (each is a copy of the whole profile)
    public void JpegIccProfileSplitBeyondTheLimitsIsTooLarge(int segments, int bytesEach)
    {
        using var image = new Image<Rgb24>(16, 16, Red);
        var jpeg = Encode(image, new JpegEncoder());
        var icc = new List<byte>();
        for (int i = 0; i < segments; i++)
        {
            int length = 2 + 14 + bytesEach;
            icc.AddRange([0xFF, 0xE2, (byte)(length >> 8), (byte)length, .. "ICC_PROFILE\0"u8.ToArray(), (byte)(i % 255 + 1), 255]);
            icc.AddRange(new byte[bytesEach]);
        }
        byte[] bytes = [.. jpeg[..2], .. icc, .. jpeg[2..]];

        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<ImageTooLargeException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes)));

        Assert.Contains("ICC metadata", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{clock.Elapsed}");
    }

    [Fact]
    public void JpegWithAnOrdinaryIccProfileDecodes()
    {
        using var image = new Image<Rgb24>(16, 16, Red);
        var jpeg = Encode(image, new JpegEncoder { Quality = 95 });
        const int size = 3_000; // an sRGB profile is about 3 KB
        byte[] segment = [0xFF, 0xE2, (2 + 14 + size) >> 8, (2 + 14 + size) & 0xFF, .. "ICC_PROFILE\0"u8.ToArray(), 1, 1, .. new byte[size]];

        var crop = CropDecoder.Decode(new MemoryStream([.. jpeg[..2], .. segment, .. jpeg[2..]]));

        AssertClose(Red, At(crop, 8, 8), 8);
    }

    [Fact]
    public void CancelledTokenStopsTheDecode()
    {
        using var image = Noise(64, 64, seed: 1);
        var bytes = Encode(image, new JpegEncoder());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => CropDecoder.DecodeAndResize(new MemoryStream(bytes), null, cancelled.Token));
    }

    [Fact]
    public void TokenCancelledWhileTheBytesAreReadStopsBeforeDecoding()
    {
        // The token is cancelled by the stream itself when its last byte is read (as a client that disconnects mid-upload).
        var bytes = ProgressiveJpeg.FlatGrey(512, 512, acScans: 8);
        using var source = new CancellationTokenSource();
        var stream = new CancelAtEndStream(bytes, source);

        Assert.ThrowsAny<OperationCanceledException>(() => CropDecoder.DecodeAndResize(stream, null, source.Token));
        Assert.True(stream.ReachedEnd);
    }

    private sealed class CancelAtEndStream(byte[] bytes, CancellationTokenSource source) : MemoryStream(bytes)
    {
        public bool ReachedEnd { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = base.Read(buffer, offset, count);
            if (read == 0)
            {
                ReachedEnd = true;
                source.Cancel();
            }
            return read;
        }
    }
}

/// <summary>Little-endian baseline TIFFs written by hand, to set the header fields no encoder writes wrong.</summary>
internal static class HandTiff
{
    /// <summary>The pixel bytes <see cref="Rgb"/> stores: (i x 37) mod 256.</summary>
    public static byte[] Pixels(int width, int height) => Enumerable.Range(0, width * height * 3).Select(i => (byte)(i * 37 % 256)).ToArray();

    /// <summary>
    /// An uncompressed chunky 8-bit RGB TIFF in one strip: header, pixels at byte 8, then the directory. Entries in
    /// <paramref name="replace"/> (tag, type, values) replace or add to the defaults; <paramref name="pixels"/> replaces
    /// the strip (its byte count follows it).
    /// </summary>
    public static byte[] Rgb(int width, int height, uint? rowsPerStrip = null, byte[]? pixels = null,
        params (ushort Tag, ushort Type, uint[] Values)[] replace)
    {
        pixels ??= Pixels(width, height);
        var entries = new SortedDictionary<ushort, (ushort Type, uint[] Values)>
        {
            [256] = (4, [(uint)width]),
            [257] = (4, [(uint)height]),
            [258] = (3, [8, 8, 8]),
            [259] = (3, [1]),
            [262] = (3, [2]),
            [273] = (4, [8]),
            [277] = (3, [3]),
            [278] = (4, [rowsPerStrip ?? (uint)height]),
            [279] = (4, [(uint)pixels.Length]),
        };
        foreach (var (tag, type, values) in replace)
            entries[tag] = (type, values);
        int ifd = 8 + pixels.Length + (pixels.Length & 1);
        int extra = ifd + 2 + 12 * entries.Count + 4;
        var o = new List<byte>([(byte)'I', (byte)'I', 42, 0, .. Le32((uint)ifd), .. pixels]);
        if ((pixels.Length & 1) == 1)
            o.Add(0);
        var outside = new List<byte>();
        o.AddRange(Le16((ushort)entries.Count));
        foreach (var (tag, (type, values)) in entries)
        {
            var data = values.SelectMany(v => type == 3 ? Le16((ushort)v) : Le32(v)).ToArray();
            o.AddRange([.. Le16(tag), .. Le16(type), .. Le32((uint)values.Length)]);
            if (data.Length <= 4)
            {
                o.AddRange(data.Concat(new byte[4 - data.Length]));
            }
            else
            {
                o.AddRange(Le32((uint)(extra + outside.Count)));
                outside.AddRange(data);
            }
        }
        o.AddRange(Le32(0));
        o.AddRange(outside);
        return o.ToArray();
    }

    /// <summary>The RowsPerStrip value (a LONG in the entry) of a TIFF written by <see cref="Rgb"/>.</summary>
    public static uint RowsPerStrip(byte[] tiff) => BinaryPrimitives.ReadUInt32LittleEndian(tiff.AsSpan(TiffBytes.Entry(tiff, 278) + 8));

    private static byte[] Le16(ushort v) => [(byte)v, (byte)(v >> 8)];

    private static byte[] Le32(uint v) => [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)];
}
