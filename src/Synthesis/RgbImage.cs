using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Synthesis;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B (Width * Height * 3 bytes).</summary>
public sealed class RgbImage
{
    /// <summary>Creates a black image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is not positive.</exception>
    public RgbImage(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved RGB bytes, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Channel <paramref name="c"/> (0 R, 1 G, 2 B) of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public byte this[int x, int y, int c] => Pixels[(y * Width + x) * 3 + c];

    /// <summary>Sets pixel (x, y) to an RGB colour.</summary>
    public void Set(int x, int y, Rgb colour)
    {
        int i = (y * Width + x) * 3;
        Pixels[i] = colour.R;
        Pixels[i + 1] = colour.G;
        Pixels[i + 2] = colour.B;
    }

    /// <summary>Pixel (x, y) as a colour.</summary>
    public Rgb Get(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>Encodes as PNG (lossless, 8-bit RGB).</summary>
    public byte[] EncodePng()
    {
        using var image = ToImageSharp();
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.DefaultCompression });
        return stream.ToArray();
    }

    /// <summary>Encodes as an 8-bit palette PNG (Wu quantiser, 256 colours, no dithering): small files for docs.</summary>
    public byte[] EncodePalettePng()
    {
        using var image = ToImageSharp();
        using var stream = new MemoryStream();
        var quantizer = new SixLabors.ImageSharp.Processing.Processors.Quantization.WuQuantizer(new SixLabors.ImageSharp.Processing.Processors.Quantization.QuantizerOptions { Dither = null, MaxColors = 256 });
        image.Save(stream, new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8, Quantizer = quantizer, CompressionLevel = PngCompressionLevel.BestCompression });
        return stream.ToArray();
    }

    /// <summary>Encodes as baseline JPEG with 4:2:0 chroma, <paramref name="quality"/> 1..100.</summary>
    public byte[] EncodeJpeg(int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        using var image = ToImageSharp();
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 });
        return stream.ToArray();
    }

    /// <summary>Decodes a PNG or JPEG file into an RGB image (test and tooling helper).</summary>
    public static RgbImage Load(string path)
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(path);
        var result = new RgbImage(image.Width, image.Height);
        image.CopyPixelDataTo(result.Pixels);
        return result;
    }

    private Image<Rgb24> ToImageSharp() => SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(Pixels, Width, Height);
}

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>A colour from channel values, rounded and clamped to [0, 255].</summary>
    public static Rgb FromDoubles(double r, double g, double b) => new(ToByte(r), ToByte(g), ToByte(b));

    /// <summary>This colour scaled by <paramref name="factor"/> (clamped).</summary>
    public Rgb Scale(double factor) => FromDoubles(R * factor, G * factor, B * factor);

    /// <summary>Linear mix: t = 0 gives this colour, t = 1 gives <paramref name="other"/>.</summary>
    public Rgb Mix(Rgb other, double t) => FromDoubles(R + (other.R - R) * t, G + (other.G - G) * t, B + (other.B - B) * t);

    /// <summary>Rec. 601 luma in [0, 255].</summary>
    public double Luma => 0.299 * R + 0.587 * G + 0.114 * B;

    /// <summary>Rounds and clamps a channel value to a byte.</summary>
    public static byte ToByte(double value) => value <= 0 ? (byte)0 : value >= 255 ? (byte)255 : (byte)(value + 0.5);
}
