using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace SanReid.Imaging;

/// <summary>Limits and target size for <see cref="CropDecoder"/>. Every value is checked when set.</summary>
public sealed record CropDecoderOptions
{
    /// <summary>Largest output side in pixels accepted for <see cref="Height"/> and <see cref="Width"/>: 4096.</summary>
    public const int MaxOutputSide = 4096;

    /// <summary>Output height in pixels, 1..<see cref="MaxOutputSide"/> (SA-Enc input, DESIGN.md: 256).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..<see cref="MaxOutputSide"/>.</exception>
    public int Height { get; init => field = InRange(value, 1, MaxOutputSide); } = 256;

    /// <summary>Output width in pixels, 1..<see cref="MaxOutputSide"/> (SA-Enc input, DESIGN.md: 128).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..<see cref="MaxOutputSide"/>.</exception>
    public int Width { get; init => field = InRange(value, 1, MaxOutputSide); } = 128;

    /// <summary>Largest accepted width x height read from the header, before any pixel is decoded. Default 40 MP; at least 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public long MaxPixels { get; init => field = InRange(value, 1, long.MaxValue); } = 40_000_000;

    /// <summary>
    /// Largest accepted width and largest accepted height read from the header, before any pixel is decoded. Default 16384
    /// pixels (a person crop is a few hundred): a 1 x 20,000,000 strip is under <see cref="MaxPixels"/> but makes the
    /// resize kernel of every output pixel millions of taps wide. At least 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public int MaxSide { get; init => field = InRange(value, 1, int.MaxValue); } = 16384;

    /// <summary>
    /// Largest accepted encoded size in bytes. Default 32 MiB; at least 1. The bytes are buffered in one array, so a value
    /// above <see cref="Array.MaxLength"/> (about 2 GiB) acts as <see cref="Array.MaxLength"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public long MaxBytes { get; init => field = InRange(value, 1, long.MaxValue); } = 32L * 1024 * 1024;

    /// <summary>
    /// Most scans (start-of-scan markers) accepted in a JPEG. Default 256; at least 1. Each scan of a progressive JPEG is a
    /// pass over every block of the image, so scan count x pixel count is the decoding cost: an encoder writes 1 (baseline)
    /// to a few dozen (progressive: libjpeg's default script writes 10 for colour, mozjpeg a few more), while a crafted file
    /// of 40-byte scans of a 36 MP image costs about 1 ms per scan. 256 bounds that to about 0.2 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public int MaxJpegScans { get; init => field = InRange(value, 1, int.MaxValue); } = 256;

    /// <summary>The defaults: 256x128 output, 40 MP, 16384 px sides, 32 MiB, 256 JPEG scans.</summary>
    public static CropDecoderOptions Default { get; } = new();

    private static T InRange<T>(T value, T min, T max, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
        where T : System.Numerics.INumber<T>
    {
        if (value < min || value > max)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in {min}..{max}.");
        return value;
    }
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
/// <para>Order of work: the bytes are read (at most <see cref="CropDecoderOptions.MaxBytes"/>) and the format detected from
/// them; a PNG's chunks and a WebP's RIFF chunks are walked (truncation, compressed text bombs, animation); the header
/// is identified and its sides checked against <see cref="CropDecoderOptions.MaxSide"/> and its width x height against
/// <see cref="CropDecoderOptions.MaxPixels"/>; a JPEG's markers (scan count, end-of-image), a BMP's length and a GIF's
/// first-image blocks are checked; only then are pixels decoded. These checks are linear scans of the bytes in memory.
/// A file cut short is refused as corrupt rather than decoded with made-up pixels (for run-length BMPs and for
/// bitstream data inside a complete container this is left to ImageSharp, which may fill missing pixels).</para>
/// <para>Colour: every colour model (grey, grey+alpha, RGBA, CMYK/YCCK JPEG, 16-bit PNG, palette) is converted to 8-bit
/// RGB by ImageSharp's pixel conversion. <b>Alpha is ignored</b>: the stored colour of each pixel is kept and its opacity
/// dropped, as PIL's <c>Image.convert("RGB")</c> does in the torchvision pipelines re-ID models are trained with, with
/// one exception: rows and columns at the border of a PNG / WebP / GIF that are <b>fully transparent</b> (alpha 0) are
/// cut off first, so a cut-out padded with transparency gives the same crop as the opaque region alone (an image with
/// no visible pixel at all is refused with <see cref="EmptyImageException"/>).
/// 16-bit channels are scaled to 8 bits (value * 255 / 65535, rounded).</para>
/// <para>Geometry: EXIF orientation is applied (the output is upright); an animated GIF keeps its first frame only; an
/// animated WebP is refused with <see cref="UnsupportedImageException"/> (ImageSharp 2.1 cannot decode it).
/// The resize stretches to exactly Height x Width: a crop's aspect ratio is <b>not</b> preserved, as in re-ID training
/// (Market-1501 crops are resized to 256x128 regardless of aspect). The resampler is
/// <see cref="KnownResamplers.Triangle"/> (bilinear, widened when downscaling so it antialiases), the closest ImageSharp
/// match to PIL's <c>BILINEAR</c> that torchvision's <c>Resize</c> uses.</para>
/// <para>Errors: bad image data only ever ends in an <see cref="ImageInputException"/> subclass. Errors of the caller's
/// stream itself (<see cref="IOException"/>, <see cref="ObjectDisposedException"/>, <see cref="NotSupportedException"/>
/// from a stream that cannot be read) pass through unchanged: they are not the image's fault.</para>
/// <para>Thread-safe: no shared mutable state.</para>
/// </remarks>
public static class CropDecoder
{
    /// <summary>The resampler of every resize (see remarks of <see cref="CropDecoder"/>).</summary>
    public static IResampler Resampler => KnownResamplers.Triangle;

    /// <summary>File extensions of the accepted formats, lower case with the dot.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } =
        [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    // Only the five formats of the contract; GIF decodes its first frame only (no work on the rest of an animation).
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
    /// Reads an image (JPEG, PNG, still WebP, BMP, GIF first frame) from <paramref name="stream"/>, applies EXIF
    /// orientation, converts any colour model to 8-bit RGB and resizes to <see cref="CropDecoderOptions.Height"/> x
    /// <see cref="CropDecoderOptions.Width"/>.
    /// </summary>
    /// <returns>HWC RGB, exactly Height x Width x 3 bytes.</returns>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="UnsupportedImageException">Known format, unsupported feature (animated WebP).</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable or truncated data, too many JPEG scans.</exception>
    /// <exception cref="ImageTooLargeException">Header side or pixel count, byte count, or PNG compressed text over the limit.</exception>
    /// <exception cref="IOException">Reading <paramref name="stream"/> failed (passed through, as are the stream's other errors).</exception>
    public static RgbCrop DecodeAndResize(Stream stream, CropDecoderOptions? options = null)
    {
        options ??= CropDecoderOptions.Default;
        using var image = LoadOriented(stream, options);
        try
        {
            image.Mutate(x => x.Resize(new ResizeOptions
            {
                Size = new Size(options.Width, options.Height),
                Mode = ResizeMode.Stretch,
                Sampler = Resampler,
            }));
        }
        catch (InvalidMemoryOperationException e)
        {
            throw new ImageTooLargeException($"The {image.Width}x{image.Height} image is too large to resize: {e.Message}", e);
        }
        return ToCrop(image);
    }

    /// <summary>As <see cref="DecodeAndResize"/> without the resize: the oriented RGB image at its own size.</summary>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="UnsupportedImageException">Known format, unsupported feature (animated WebP).</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable or truncated data, too many JPEG scans.</exception>
    /// <exception cref="ImageTooLargeException">Header side or pixel count, byte count, or PNG compressed text over the limit.</exception>
    /// <exception cref="IOException">Reading <paramref name="stream"/> failed (passed through, as are the stream's other errors).</exception>
    public static RgbCrop Decode(Stream stream, CropDecoderOptions? options = null)
    {
        using var image = LoadOriented(stream, options ?? CropDecoderOptions.Default);
        return ToCrop(image);
    }

    /// <summary>
    /// Reads a file with <see cref="DecodeAndResize"/>; image errors name the file. File-system errors are not image
    /// errors and pass through as .NET raises them (their messages name the path): the caller decides whether a missing
    /// file is the user's or its own mistake.
    /// </summary>
    /// <exception cref="ImageInputException">As <see cref="DecodeAndResize"/>, with the path in the message.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DirectoryNotFoundException">A directory of the path does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">No read permission, or the path is a directory.</exception>
    /// <exception cref="IOException">Any other read error.</exception>
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

        var format = Image.DetectFormat(Config, bytes);
        if (format is null)
            throw new NotAnImageException(NotAnImageMessage);
        // Structure that must be checked before ImageSharp reads the header: Identify already inflates PNG text
        // chunks, and throws on animated WebP.
        if (format == PngFormat.Instance)
            PngStructure.Check(bytes);
        else if (format == WebpFormat.Instance)
            WebpStructure.Check(bytes);

        using var buffer = new MemoryStream(bytes, writable: false);
        IImageInfo? info;
        try
        {
            info = Image.Identify(Config, buffer);
        }
        catch (UnknownImageFormatException e)
        {
            throw new NotAnImageException(NotAnImageMessage, e);
        }
        catch (NotSupportedException e)
        {
            throw Unsupported(format, e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CorruptImageException($"The {format.Name} header could not be read: {e.Message}", e);
        }
        if (info is null)
            throw new NotAnImageException(NotAnImageMessage);
        if (info.Width <= 0 || info.Height <= 0)
            throw new CorruptImageException($"The {format.Name} header declares a zero size ({info.Width}x{info.Height}).");
        if (info.Width > options.MaxSide || info.Height > options.MaxSide)
            throw new ImageTooLargeException(
                $"The {format.Name} header declares {info.Width}x{info.Height}; the limit is {options.MaxSide:N0} pixels a side.");
        long pixels = (long)info.Width * info.Height;
        if (pixels > options.MaxPixels)
            throw new ImageTooLargeException(
                $"The {format.Name} header declares {info.Width}x{info.Height} = {pixels:N0} pixels; the limit is {options.MaxPixels:N0}.");
        if (format == JpegFormat.Instance)
            JpegStructure.Check(bytes, options.MaxJpegScans);
        else if (format == BmpFormat.Instance)
            BmpStructure.Check(bytes);
        else if (format == GifFormat.Instance)
            GifStructure.Check(bytes);

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
        catch (NotSupportedException e)
        {
            throw Unsupported(format, e);
        }
        catch (InvalidMemoryOperationException e)
        {
            throw new ImageTooLargeException($"The {format.Name} image is too large to decode: {e.Message}", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not ImageInputException)
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

    private static UnsupportedImageException Unsupported(IImageFormat format, NotSupportedException e) =>
        new($"The {format.Name} uses a feature this decoder does not support: {e.Message}", e);

    // A cut-out with an alpha channel (PNG, WebP, GIF) often comes padded with fully transparent pixels whose RGB is
    // arbitrary. Those rows and columns are not part of the person: they are cut off before the resize, so the crop is
    // the opaque region as a detector's RGB crop would be. Partly transparent pixels keep their RGB (alpha is dropped).
    // An image with no visible pixel at all is refused (EmptyImageException): an empty detector cut-out is not a person,
    // and all such images would embed alike and match each other.
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
        if (bottom < 0)
            throw new EmptyImageException("Every pixel of the image is fully transparent: there is nothing to embed.");
        if ((top > 0 || left > 0 || bottom < rgba.Height - 1 || right < rgba.Width - 1))
            rgba.Mutate(x => x.Crop(new Rectangle(left, top, right - left + 1, bottom - top + 1)));
        return rgba.CloneAs<Rgb24>();
    }

    private const string NotAnImageMessage = "The data is not a supported image (JPEG, PNG, WebP, BMP or GIF).";

    private static byte[] ReadCapped(Stream stream, long maxBytes)
    {
        maxBytes = Math.Min(maxBytes, Array.MaxLength);
        int expected = 0;
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > maxBytes)
                throw new ImageTooLargeException($"The image is {remaining:N0} bytes; the limit is {maxBytes:N0}.");
            expected = (int)Math.Max(remaining, 0);
        }
        // Sized to the stream when it is known, so the usual case hands back the buffer itself instead of a copy.
        using var copy = new MemoryStream(expected);
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (copy.Length + read > maxBytes)
                throw new ImageTooLargeException($"The image is over the limit of {maxBytes:N0} bytes.");
            copy.Write(chunk, 0, read);
        }
        return copy.Length == copy.Capacity ? copy.GetBuffer() : copy.ToArray();
    }

    private static RgbCrop ToCrop(Image<Rgb24> image)
    {
        var pixels = new byte[checked(image.Width * image.Height * 3)];
        image.CopyPixelDataTo(pixels);
        return new RgbCrop(image.Height, image.Width, pixels);
    }
}
