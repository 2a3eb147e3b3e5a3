using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Imaging.Tests;

/// <summary>Images generated in code (ImageSharp encoders), so tests need no files.</summary>
internal static class TestImages
{
    public static readonly Rgb24 Red = new(220, 20, 30);
    public static readonly Rgb24 Blue = new(20, 40, 200);

    /// <summary>An upright "person": top half <see cref="Red"/>, bottom half <see cref="Blue"/>.</summary>
    public static Image<Rgb24> TopRedBottomBlue(int width, int height)
    {
        var image = new Image<Rgb24>(width, height, Blue);
        for (int y = 0; y < height / 2; y++)
        {
            for (int x = 0; x < width; x++)
                image[x, y] = Red;
        }

        return image;
    }

    /// <summary>Seeded noise (incompressible, so a cut file loses pixel data).</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        }

        return image;
    }

    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>Pixel (row, col) of an HWC crop.</summary>
    public static Rgb24 At(RgbCrop crop, int row, int col)
    {
        int i = (row * crop.Width + col) * 3;
        return new Rgb24(crop.Pixels[i], crop.Pixels[i + 1], crop.Pixels[i + 2]);
    }

    public static void AssertClose(Rgb24 expected, Rgb24 actual, int tolerance)
    {
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance
            && Math.Abs(expected.B - actual.B) <= tolerance,
            $"expected {expected} ± {tolerance}, got {actual}");
    }
}
