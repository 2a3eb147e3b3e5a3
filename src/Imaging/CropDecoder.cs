using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace SanReid.Imaging;

/// <summary>Limits and target size for <see cref="CropDecoder"/>.</summary>
public sealed record CropDecoderOptions
{
    /// <summary>Output height in pixels (SA-Enc input, DESIGN.md: 256).</summary>
    public int Height { get; init; } = 256;

    /// <summary>Output width in pixels (SA-Enc input, DESIGN.md: 128).</summary>
    public int Width { get; init; } = 128;

    /// <summary>Largest accepted width x height read from the header, before any pixel is decoded. Default 40 MP.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Largest accepted encoded size in bytes. Default 32 MiB.</summary>
    public long MaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>The defaults: 256x128 output, 40 MP, 32 MiB.</summary>
    public static CropDecoderOptions Default { get; } = new();
}

/// <summary>
/// An 8-bit RGB image, row-major HWC (height, width, channel), values 0..255.
/// <see cref="Pixels"/> has length Height * Width * 3.
/// </summary>
public sealed record RgbCrop(int Height, int Width, byte[] Pixels);

/// <summary>
/// Decode + orient + colour-convert + resize: the one path by which Trainer and Api turn image bytes into
/// SA-Enc input pixels (DESIGN.md, "Imaging").
/// </summary>
/// <remarks>
/// <para>Order of work: the bytes are read (at most <see cref="CropDecoderOptions.MaxBytes"/>), the header is identified
/// and its width x height checked against <see cref="CropDecoderOptions.MaxPixels"/>; only then are pixels decoded.</para>
/// <para>Colour: every colour model (grey, grey+alpha, RGBA, CMYK/YCCK JPEG, 16-bit PNG, palette) is converted to 8-bit
/// RGB by ImageSharp's pixel conversion. <b>Alpha is ignored</b>: the stored colour of each pixel is kept and its opacity
/// dropped, as PIL's <c>Image.convert("RGB")</c> does in the torchvision pipelines re-ID models are trained with, with
/// one exception: rows and columns at the border of a PNG / WebP / GIF that are <b>fully transparent</b> (alpha 0) are
/// cut off first, so a cut-out padded with transparency gives the same crop as the opaque region alone (an image with
/// no opaque pixel is kept whole).
/// 16-bit channels are scaled to 8 bits (value * 255 / 65535, rounded).</para>
/// <para>Geometry: EXIF orientation is applied (the output is upright), animated GIF/WebP keep their first frame only.
/// The resize stretches to exactly Height x Width: a crop's aspect ratio is <b>not</b> preserved, as in re-ID training
/// (Market-1501 crops are resized to 256x128 regardless of aspect). The resampler is
/// <see cref="KnownResamplers.Triangle"/> (bilinear, widened when downscaling so it antialiases), the closest ImageSharp
/// match to PIL's <c>BILINEAR</c> that torchvision's <c>Resize</c> uses.</para>
/// <para>Thread-safe: no shared mutable state.</para>
/// </remarks>
public static class CropDecoder
{
    /// <summary>The resampler of every resize (see remarks of <see cref="CropDecoder"/>).</summary>
    public static IResampler Resampler => KnownResamplers.Triangle;

    /// <summary>File extensions of the accepted formats, lower case with the dot.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } =
        [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    // Only the five formats of the contract; GIF decodes its first frame only (no work on the rest of an animation);
    // an animated WebP is decoded whole (ImageSharp 2.1 has no first-frame mode for WebP) and cut to its first frame.
    private static readonly Configuration Config = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var config = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule());
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        return config;
    }

    /// <summary>
    /// Reads an image (JPEG, PNG, WebP, BMP, GIF first frame) from <paramref name="stream"/>, applies EXIF orientation,
    /// converts any colour model to 8-bit RGB and resizes to <see cref="CropDecoderOptions.Height"/> x
    /// <see cref="CropDecoderOptions.Width"/>.
    /// </summary>
    /// <returns>HWC RGB, exactly Height x Width x 3 bytes.</returns>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable data.</exception>
    /// <exception cref="ImageTooLargeException">Header pixel count or byte count over the limit.</exception>
    public static RgbCrop DecodeAndResize(Stream stream, CropDecoderOptions? options = null)
    {
        options ??= CropDecoderOptions.Default;
        if (options.Height <= 0 || options.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), "Output Height and Width must be positive.");
        using var image = LoadOriented(stream, options);
        image.Mutate(x => x.Resize(new ResizeOptions
        {
            Size = new Size(options.Width, options.Height),
            Mode = ResizeMode.Stretch,
            Sampler = Resampler,
        }));
        return ToCrop(image);
    }

    /// <summary>As <see cref="DecodeAndResize"/> without the resize: the oriented RGB image at its own size.</summary>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable data.</exception>
    /// <exception cref="ImageTooLargeException">Header pixel count or byte count over the limit.</exception>
    public static RgbCrop Decode(Stream stream, CropDecoderOptions? options = null)
    {
        using var image = LoadOriented(stream, options ?? CropDecoderOptions.Default);
        return ToCrop(image);
    }

    /// <summary>Reads a file with <see cref="DecodeAndResize"/>; errors name the file.</summary>
    /// <exception cref="ImageInputException">As <see cref="DecodeAndResize"/>, with the path in the message.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static RgbCrop DecodeAndResizeFile(string path, CropDecoderOptions? options = null)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return DecodeAndResize(stream, options);
        }
        catch (ImageInputException e)
        {
            throw e.WithSource(path);
        }
    }

    private static Image<Rgb24> LoadOriented(Stream stream, CropDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = ReadCapped(stream, options.MaxBytes);
        if (bytes.Length == 0)
            throw new NotAnImageException("The image is empty (0 bytes).");

        using var buffer = new MemoryStream(bytes, writable: false);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(Config, buffer, out format);
        }
        catch (UnknownImageFormatException e)
        {
            throw new NotAnImageException(NotAnImageMessage, e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CorruptImageException($"The image header could not be read: {e.Message}", e);
        }
        if (info is null || format is null)
            throw new NotAnImageException(NotAnImageMessage);
        if (info.Width <= 0 || info.Height <= 0)
            throw new CorruptImageException($"The {format.Name} header declares a zero size ({info.Width}x{info.Height}).");
        long pixels = (long)info.Width * info.Height;
        if (pixels > options.MaxPixels)
            throw new ImageTooLargeException(
                $"The {format.Name} header declares {info.Width}x{info.Height} = {pixels:N0} pixels; the limit is {options.MaxPixels:N0}.");
        if (format == JpegFormat.Instance && !JpegHasEndAfterLastScan(bytes))
            throw new CorruptImageException("The JPEG is truncated: no end-of-image marker after its last scan.");

        buffer.Position = 0;
        Image<Rgb24> image;
        try
        {
            image = format == JpegFormat.Instance ? Image.Load<Rgb24>(Config, buffer) : LoadTrimmingTransparentBorder(buffer);
        }
        catch (UnknownImageFormatException e)
        {
            throw new NotAnImageException(NotAnImageMessage, e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CorruptImageException($"The {format.Name} data could not be decoded: {e.Message}", e);
        }

        try
        {
            while (image.Frames.Count > 1)
                image.Frames.RemoveFrame(image.Frames.Count - 1);
            image.Mutate(x => x.AutoOrient());
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    // A cut-out with an alpha channel (PNG, WebP, GIF) often comes padded with fully transparent pixels whose RGB is
    // arbitrary. Those rows and columns are not part of the person: they are cut off before the resize, so the crop is
    // the opaque region as a detector's RGB crop would be. Partly transparent pixels keep their RGB (alpha is dropped).
    // An image with no opaque pixel at all is kept whole.
    private static Image<Rgb24> LoadTrimmingTransparentBorder(Stream buffer)
    {
        using var rgba = Image.Load<Rgba32>(Config, buffer);
        while (rgba.Frames.Count > 1)
            rgba.Frames.RemoveFrame(rgba.Frames.Count - 1);
        int top = int.MaxValue, bottom = -1, left = int.MaxValue, right = -1;
        rgba.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    if (row[x].A == 0)
                        continue;
                    top = Math.Min(top, y);
                    bottom = y;
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                }
            }
        });
        if (bottom >= 0 && (top > 0 || left > 0 || bottom < rgba.Height - 1 || right < rgba.Width - 1))
            rgba.Mutate(x => x.Crop(new Rectangle(left, top, right - left + 1, bottom - top + 1)));
        return rgba.CloneAs<Rgb24>();
    }

    private const string NotAnImageMessage = "The data is not a supported image (JPEG, PNG, WebP, BMP or GIF).";

    private static byte[] ReadCapped(Stream stream, long maxBytes)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > maxBytes)
                throw new ImageTooLargeException($"The image is {remaining:N0} bytes; the limit is {maxBytes:N0}.");
        }
        using var copy = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (copy.Length + read > maxBytes)
                throw new ImageTooLargeException($"The image is over the limit of {maxBytes:N0} bytes.");
            copy.Write(chunk, 0, read);
        }
        return copy.ToArray();
    }

    // In JPEG entropy-coded data 0xFF is always stuffed (FF 00) or a restart marker (FF D0-D7), so EOI (FF D9) and SOS
    // (FF DA) found by a byte scan are real markers. A file cut inside its pixel data has no EOI after the last SOS;
    // ImageSharp would fill the missing blocks silently, which would give a wrong embedding rather than an error.
    // (An EXIF thumbnail's own SOS/EOI sit inside APP1, before the main image's first SOS.)
    private static bool JpegHasEndAfterLastScan(ReadOnlySpan<byte> data)
    {
        int lastSos = data.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        if (lastSos < 0)
            return false;
        return data[lastSos..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
    }

    private static RgbCrop ToCrop(Image<Rgb24> image)
    {
        var pixels = new byte[checked(image.Width * image.Height * 3)];
        image.CopyPixelDataTo(pixels);
        return new RgbCrop(image.Height, image.Width, pixels);
    }
}
