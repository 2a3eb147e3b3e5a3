using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>The preview JPEG that <see cref="CropDecoderOptions.Preview"/> asks <see cref="CropDecoder.DecodeAndResize"/> for.</summary>
public class CropPreviewTests
{
    private static readonly CropDecoderOptions WithPreview = new() { Preview = new CropPreviewOptions() };

    [Fact]
    public void APreviewIsMadeOnlyWhenAskedFor()
    {
        var bytes = Encode(TopRedBottomBlue(64, 128), new PngEncoder());

        Assert.Null(CropDecoder.DecodeAndResize(new MemoryStream(bytes)).Preview);
        Assert.NotNull(CropDecoder.DecodeAndResize(new MemoryStream(bytes), WithPreview).Preview);
    }

    [Fact]
    public void ALargeCropIsScaledDownToFitWithItsAspectRatioAndTheModelInputIsUnchanged()
    {
        var bytes = Encode(TopRedBottomBlue(300, 800), new PngEncoder());

        var plain = CropDecoder.DecodeAndResize(new MemoryStream(bytes));
        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes), WithPreview);
        using var preview = Image.Load<Rgb24>(crop.Preview!);

        // 800 tall -> 256 (the height bound); 300 * 256 / 800 = 96 wide.
        Assert.Equal((96, 256), (preview.Width, preview.Height));
        Assert.Equal(plain.Pixels, crop.Pixels);
        Assert.Equal(JpegFormat.Instance, Image.DetectFormat(crop.Preview));
    }

    [Fact]
    public void AWideImageIsBoundedByTheWidthAndASmallOneIsNotScaledUp()
    {
        var wide = Encode(TopRedBottomBlue(1000, 200), new PngEncoder());
        var small = Encode(TopRedBottomBlue(64, 128), new PngEncoder());
        var options = new CropDecoderOptions { Preview = new CropPreviewOptions { MaxHeight = 128, MaxWidth = 100 } };

        using var widePreview = Image.Load<Rgb24>(CropDecoder.DecodeAndResize(new MemoryStream(wide), options).Preview!);
        using var smallPreview = Image.Load<Rgb24>(CropDecoder.DecodeAndResize(new MemoryStream(small), WithPreview).Preview!);

        Assert.Equal((100, 20), (widePreview.Width, widePreview.Height)); // 1000 x 200 scaled by 100 / 1000
        Assert.Equal((64, 128), (smallPreview.Width, smallPreview.Height));
    }

    [Fact]
    public void ThePreviewIsUprightAndCarriesNoExif()
    {
        // Orientation 6 = "rotate 90° clockwise to display": the upright person is stored rotated anticlockwise, with GPS.
        using var stored = TopRedBottomBlue(60, 120);
        stored.Mutate(x => x.Rotate(RotateMode.Rotate270));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        stored.Metadata.ExifProfile.SetValue(ExifTag.GPSLatitudeRef, "N");
        var bytes = Encode(stored, new JpegEncoder { Quality = 95 });

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes), WithPreview);
        using var preview = Image.Load<Rgb24>(crop.Preview!);

        Assert.Equal((60, 120), (preview.Width, preview.Height));
        AssertClose(Red, preview[30, 10], 16);
        AssertClose(Blue, preview[30, 110], 16);
        Assert.Null(preview.Metadata.ExifProfile);
    }

    [Fact]
    public void QualityTradesBytesForFidelity()
    {
        var bytes = Encode(Noise(128, 256, seed: 7), new PngEncoder());

        int low = CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { Preview = new CropPreviewOptions { Quality = 30 } }).Preview!.Length;
        int high = CropDecoder.DecodeAndResize(new MemoryStream(bytes), new CropDecoderOptions { Preview = new CropPreviewOptions { Quality = 95 } }).Preview!.Length;

        Assert.True(low < high, $"quality 30: {low} bytes, quality 95: {high} bytes");
    }

    [Theory]
    [InlineData(15, 256, 85)]
    [InlineData(256, 4097, 85)]
    [InlineData(256, 256, 0)]
    [InlineData(256, 256, 101)]
    public void OutOfRangeSettingsAreRefused(int maxHeight, int maxWidth, int quality) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CropPreviewOptions { MaxHeight = maxHeight, MaxWidth = maxWidth, Quality = quality });
}
