using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Fuzz.Imaging;

/// <summary>The seed corpus: small images (8x12 pixels) of every accepted format and its main variants.</summary>
internal static class Seeds
{
    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, bytes) in Generate())
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }

    /// <summary>The seed files, by name.</summary>
    public static List<(string Name, byte[] Bytes)> Generate()
    {
        var seeds = new List<(string, byte[])>();
        using var rgb = Pattern<Rgb24>(c => c);
        using var rgba = Pattern<Rgba32>(c => new Rgba32(c.R, c.G, c.B, (byte)(c.R > 128 ? 255 : 0)));
        Save(seeds, "jpeg-baseline.jpg", rgb, new JpegEncoder { Quality = 80 });
        Save(seeds, "jpeg-grey.jpg", rgb, new JpegEncoder { Quality = 80, ColorType = JpegColorType.Luminance });
        Save(seeds, "png-rgb.png", rgb, new PngEncoder());
        Save(seeds, "png-rgba.png", rgba, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
        Save(seeds, "png-palette.png", rgb, new PngEncoder { ColorType = PngColorType.Palette });
        Save(seeds, "png-grey16.png", rgb, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 });
        Save(seeds, "webp-lossless.webp", rgba, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        Save(seeds, "webp-lossy.webp", rgb, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Quality = 70 });
        Save(seeds, "bmp-24.bmp", rgb, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
        Save(seeds, "bmp-8.bmp", rgb, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 });
        Save(seeds, "bmp-32.bmp", rgba, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32, SupportTransparency = true });
        Save(seeds, "gif.gif", rgb, new GifEncoder());
        Save(seeds, "tiff-none.tif", rgb, new TiffEncoder());
        Save(seeds, "tiff-deflate.tif", rgb, new TiffEncoder { Compression = TiffCompression.Deflate });
        Save(seeds, "tiff-lzw.tif", rgb, new TiffEncoder { Compression = TiffCompression.Lzw });
        Save(seeds, "tiff-packbits-grey.tif", rgb, new TiffEncoder { Compression = TiffCompression.PackBits, BitsPerPixel = TiffBitsPerPixel.Bit8 });
        Save(seeds, "tiff-palette.tif", rgb, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit8, PhotometricInterpretation = TiffPhotometricInterpretation.PaletteColor });
        return seeds;
    }

    private static Image<TPixel> Pattern<TPixel>(Func<Rgb24, TPixel> pixel) where TPixel : unmanaged, IPixel<TPixel>
    {
        var image = new Image<TPixel>(8, 12);
        for (int y = 0; y < 12; y++)
        {
            for (int x = 0; x < 8; x++)
                image[x, y] = pixel(new Rgb24((byte)(x * 32), (byte)(y * 20), (byte)(x * y * 3)));
        }

        return image;
    }

    private static void Save(List<(string, byte[])> seeds, string name, Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        seeds.Add((name, stream.ToArray()));
    }
}
