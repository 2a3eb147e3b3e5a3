using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static SanReid.Imaging.Tests.TestImages;

namespace SanReid.Imaging.Tests;

/// <summary>EXIF orientation is applied; animations keep their first frame.</summary>
public class CropDecoderOrientationTests
{
    [Fact]
    public void ExifOrientationSixJpegComesOutUpright()
    {
        // Orientation 6 = "rotate 90° clockwise to display": store the upright person rotated 90° anticlockwise.
        using var stored = TopRedBottomBlue(60, 120);
        stored.Mutate(x => x.Rotate(RotateMode.Rotate270));
        Assert.Equal((120, 60), (stored.Width, stored.Height));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var bytes = Encode(stored, new JpegEncoder { Quality = 95 });

        var upright = CropDecoder.Decode(new MemoryStream(bytes));
        var resized = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        Assert.Equal((120, 60), (upright.Height, upright.Width));
        AssertClose(Red, At(upright, 10, 30), 12);
        AssertClose(Blue, At(upright, 110, 30), 12);
        AssertClose(Red, At(resized, 30, 64), 12);
        AssertClose(Blue, At(resized, 230, 64), 12);
    }

    [Fact]
    public void WithoutExifTheSameStoredPixelsStaySideways()
    {
        using var stored = TopRedBottomBlue(60, 120);
        stored.Mutate(x => x.Rotate(RotateMode.Rotate270));
        var bytes = Encode(stored, new JpegEncoder { Quality = 95 });

        var crop = CropDecoder.Decode(new MemoryStream(bytes));

        Assert.Equal((60, 120), (crop.Height, crop.Width));
        AssertClose(Red, At(crop, 30, 10), 12);
    }

    [Fact]
    public void AnimatedGifGivesItsFirstFrame()
    {
        using var gif = new Image<Rgb24>(16, 32, Red);
        using var second = new Image<Rgb24>(16, 32, Blue);
        gif.Frames.AddFrame(second.Frames.RootFrame);
        Assert.Equal(2, gif.Frames.Count);
        var bytes = Encode(gif, new GifEncoder());

        var crop = CropDecoder.DecodeAndResize(new MemoryStream(bytes));

        AssertClose(Red, At(crop, 128, 64), 24);
    }
}
