using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
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

    /// <summary>
    /// Largest decoding work accepted for a JPEG, as the pixels its scans cover summed over the scans (blocks of each scan
    /// x 64; a scan of one 4:2:0 chroma component covers a quarter of the image). Default 640,000,000 = 16 full passes
    /// over a 40 MP image; at least 1. A baseline JPEG is one pass (1.5 for 4:2:0 colour counted this way), jpegtran's
    /// progressive script 8 (4:2:0) to 14 (4:4:4) passes, so every encoder's output of up to 40 MP is inside it; a forged
    /// progressive file of hundreds of tiny refinement scans is not (each costs a pass over the image: 30-40 ms for an AC
    /// refinement scan of a 6000 x 6600 grey image on the development machine, more on a loaded one).
    /// Over the limit: <see cref="ImageTooLargeException"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public long MaxJpegScanPixels { get; init => field = InRange(value, 1, long.MaxValue); } = 640_000_000;

    /// <summary>
    /// Also encode a preview of the decoded image for people to look at (<see cref="RgbCrop.Preview"/>): the oriented image
    /// at a bounded size as JPEG (<see cref="CropPreviewOptions"/>). Null (default): none. Only
    /// <see cref="CropDecoder.DecodeAndResize"/> makes one.
    /// </summary>
    public CropPreviewOptions? Preview { get; init; }

    /// <summary>The defaults: 256x128 output, 40 MP, 16384 px sides, 32 MiB, 256 JPEG scans covering 640 M pixels, no preview.</summary>
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
public sealed record RgbCrop(int Height, int Width, byte[] Pixels)
{
    /// <summary>The JPEG preview that <see cref="CropDecoderOptions.Preview"/> asked for (the oriented image before the
    /// stretch to Height x Width, at a bounded size), or null.</summary>
    public byte[]? Preview { get; init; }
}

/// <summary>
/// Decode + orient + colour-convert + resize: the one path by which Trainer and Api turn image bytes into
/// SA-Enc input pixels (DESIGN.md, "Imaging").
/// </summary>
/// <remarks>
/// <para>Order of work: the bytes are read (at most <see cref="CropDecoderOptions.MaxBytes"/>) and the format detected from
/// them; then, <b>before ImageSharp reads any header</b>, the container is walked and every header field that ImageSharp
/// turns into a seek or an allocation is checked against the file's length: a PNG's chunk lengths (and its compressed
/// text, a bomb), a WebP's RIFF chunk sizes (and animation), a JPEG's segment lengths, scan count and metadata profiles
/// split over segments (<see cref="JpegStructure"/>), a GIF's blocks up to the end of its first image and its LZW code
/// size, a BMP's info-header size, palette and pixel-data offset, a TIFF's directory offsets, entry counts, tag value
/// offsets and strips. Every EXIF block ImageSharp would parse (JPEG APP1, PNG eXIf and "Raw profile type exif" text,
/// WebP EXIF, a TIFF's own directories) is walked too (<see cref="ExifStructure"/>): loops, misplaced pointers and values
/// larger than the block are refused. So no allocation is sized from a header field that the file's own length cannot
/// justify (pixel buffers are sized from width x height, which the next step bounds). Then the header is identified and
/// its sides checked against <see cref="CropDecoderOptions.MaxSide"/> and its width x height against
/// <see cref="CropDecoderOptions.MaxPixels"/>; then, before any pixel is decoded, whether the pixel data can fill the
/// declared image and what decoding it will cost: an uncompressed BMP's length and a run-length BMP's runs; a PNG's IDAT
/// stream, inflated up to the image's filtered size; a TIFF's samples, RowsPerStrip (clamped to the height in place: it
/// sizes ImageSharp's strip buffer), strip count and uncompressed strip lengths; a JPEG's scans, each holding at least the
/// bits its blocks need (Huffman coding: 2 bits a block in a sequential scan, 1 in a progressive DC scan), all of them
/// together covering at most <see cref="CropDecoderOptions.MaxJpegScanPixels"/>. These checks are linear scans of the bytes
/// in memory. A file cut short is refused as corrupt rather than decoded with made-up pixels. What is left to ImageSharp
/// (which may fill missing pixels): compressed TIFF strips, a GIF's LZW data ending early inside complete blocks, a JPEG's
/// progressive AC scans (an end-of-band run codes up to 32,767 blocks in a few bits, so no byte count is too small), and
/// a WebP's bitstream: a lossy VP8 frame's boolean coder spends a fraction of a bit on a predictable macroblock and a
/// lossless VP8L image with single-symbol prefix codes spends none on a pixel, so a tiny bitstream can be a valid large
/// image and no sure lower bound on its size exists.</para>
/// <para>Cancellation: the token is checked between the steps above and passed to ImageSharp's decoders (its JPEG and TIFF
/// decoders check it between scan rows and strips), so a request that is given up stops costing CPU.</para>
/// <para>Colour: every colour model (grey, grey+alpha, RGBA, CMYK/YCCK JPEG, 16-bit PNG, palette) is converted to 8-bit
/// RGB by ImageSharp's pixel conversion. <b>Alpha is ignored</b>: the stored colour of each pixel is kept and its opacity
/// dropped, as PIL's <c>Image.convert("RGB")</c> does in the torchvision pipelines re-ID models are trained with, with
/// one exception: rows and columns at the border of a PNG / WebP / GIF that are <b>fully transparent</b> (alpha 0) are
/// cut off first, so a cut-out padded with transparency gives the same crop as the opaque region alone (an image with
/// no visible pixel at all is refused with <see cref="EmptyImageException"/>).
/// 16-bit channels are scaled to 8 bits (value * 255 / 65535, rounded).</para>
/// <para>Geometry: EXIF orientation is applied (the output is upright); an animated GIF keeps its first frame only, a
/// multi-page TIFF its first page (at most <see cref="TiffStructure.MaxDirectories"/> directories are accepted); an
/// animated WebP is refused with <see cref="UnsupportedImageException"/> (ImageSharp 2.1 cannot decode it).
/// The resize stretches to exactly Height x Width: a crop's aspect ratio is <b>not</b> preserved, as in re-ID training
/// (Market-1501 crops are resized to 256x128 regardless of aspect). The resampler is
/// <see cref="KnownResamplers.Triangle"/> (bilinear, widened when downscaling so it antialiases), the closest ImageSharp
/// match to PIL's <c>BILINEAR</c> that torchvision's <c>Resize</c> uses.</para>
/// <para>Errors: bad image data only ever ends in an <see cref="ImageInputException"/> subclass. Only the exceptions that
/// mean "these bytes are bad" become one (see <see cref="IsBadData"/>): a fault of the process itself (an assembly or a
/// native library that cannot load, <see cref="OutOfMemoryException"/>, a bug) passes through unchanged, so a server
/// reports it as its own fault, not the client's. Errors of the caller's stream itself (<see cref="IOException"/>,
/// <see cref="ObjectDisposedException"/>, <see cref="NotSupportedException"/> from a stream that cannot be read) pass
/// through unchanged too.</para>
/// <para>Thread-safe: no shared mutable state.</para>
/// </remarks>
public static class CropDecoder
{
    /// <summary>The resampler of every resize (see remarks of <see cref="CropDecoder"/>).</summary>
    public static IResampler Resampler => KnownResamplers.Triangle;

    // Only the six formats of the contract; GIF and TIFF decode their first frame (page) only: no work on the rest of an
    // animation or a multi-page file.
    private static readonly Configuration Config = CreateConfiguration();

    internal static Configuration CreateConfiguration()
    {
        var config = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule(),
            new TiffConfigurationModule());
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        config.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return config;
    }

    /// <summary>
    /// Reads an image (JPEG, PNG, still WebP, BMP, GIF first frame, TIFF first page) from <paramref name="stream"/>, applies EXIF
    /// orientation, converts any colour model to 8-bit RGB and resizes to <see cref="CropDecoderOptions.Height"/> x
    /// <see cref="CropDecoderOptions.Width"/>.
    /// </summary>
    /// <returns>HWC RGB, exactly Height x Width x 3 bytes; with <see cref="CropDecoderOptions.Preview"/>, also the preview JPEG.</returns>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="UnsupportedImageException">An image format this decoder does not read (HEIF, AVIF, JPEG 2000, PSD...),
    /// or a supported format with an unsupported feature (animated WebP).</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable or truncated data, too many JPEG scans.</exception>
    /// <exception cref="ImageTooLargeException">Header side or pixel count, byte count, or PNG compressed text over the limit.</exception>
    /// <exception cref="IOException">Reading <paramref name="stream"/> failed (passed through, as are the stream's other errors).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (checked between
    /// steps, and by ImageSharp's JPEG and TIFF decoders as they decode).</exception>
    public static RgbCrop DecodeAndResize(Stream stream, CropDecoderOptions? options = null, CancellationToken cancellationToken = default) =>
        DecodeAndResizeWith(stream, options, Config, cancellationToken);

    /// <summary>As <see cref="DecodeAndResize"/> without the resize: the oriented RGB image at its own size.</summary>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="UnsupportedImageException">An image format this decoder does not read (HEIF, AVIF, JPEG 2000, PSD...),
    /// or a supported format with an unsupported feature (animated WebP).</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable or truncated data, too many JPEG scans.</exception>
    /// <exception cref="ImageTooLargeException">Header side or pixel count, byte count, or PNG compressed text over the limit.</exception>
    /// <exception cref="IOException">Reading <paramref name="stream"/> failed (passed through, as are the stream's other errors).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static RgbCrop Decode(Stream stream, CropDecoderOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var image = LoadOriented(stream, options ?? CropDecoderOptions.Default, Config, cancellationToken);
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

    // The same path with another ImageSharp configuration: the fault tests' seam (a decoder that throws as a missing
    // assembly would) and the fuzz target's (one thread, for stable coverage).
    internal static RgbCrop DecodeAndResizeWith(Stream stream, CropDecoderOptions? options, Configuration config,
        CancellationToken cancellationToken = default)
    {
        options ??= CropDecoderOptions.Default;
        using var image = LoadOriented(stream, options, config, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        byte[]? preview = options.Preview is { } previewOptions ? CropPreview.Encode(image, previewOptions) : null;
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
        return ToCrop(image) with { Preview = preview };
    }

    private static Image<Rgb24> LoadOriented(Stream stream, CropDecoderOptions options, Configuration config,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = ReadCapped(stream, options.MaxBytes);
        if (bytes.Length == 0)
            throw new NotAnImageException("The image is empty (0 bytes).");

        var format = Image.DetectFormat(config, bytes);
        if (format is null)
        {
            if (UnsupportedFormats.Name(bytes) is { } known)
            {
                throw new UnsupportedImageException(
                    $"The data is a {known} image; this service decodes {UnsupportedFormats.Accepted} only. Convert it to one of those.");
            }

            throw new NotAnImageException(NotAnImageMessage);
        }
        // Every header field ImageSharp turns into a seek or an allocation (chunk and segment lengths, offsets, counts) is
        // checked against the file's length here, before ImageSharp reads the header: Identify already allocates from
        // them (a BMP's palette, a TIFF's tag values), inflates PNG text and follows TIFF directory chains.
        if (format == PngFormat.Instance)
            PngStructure.Check(bytes);
        else if (format == WebpFormat.Instance)
            WebpStructure.Check(bytes);
        else if (format == JpegFormat.Instance)
            JpegStructure.Check(bytes, options.MaxJpegScans);
        else if (format == GifFormat.Instance)
            GifStructure.Check(bytes);
        else if (format == BmpFormat.Instance)
            BmpStructure.CheckHeaders(bytes);
        else if (format == TiffFormat.Instance)
            TiffStructure.Check(bytes);

        cancellationToken.ThrowIfCancellationRequested();

        // The format's own decoder, called with the token (Image.Load and Image.Identify take none in ImageSharp 2.1).
        var decoder = config.ImageFormatsManager.FindDecoder(format);
        if (decoder is null)
            throw new NotAnImageException(NotAnImageMessage);
        using var buffer = new MemoryStream(bytes, writable: false);
        IImageInfo? info;
        try
        {
            info = decoder is IImageInfoDetector detector
                ? detector.Identify(config, buffer, cancellationToken)
                : Image.Identify(config, buffer);
        }
        catch (Exception e) when (IsBadData(e))
        {
            throw Classify(format, e, "header could not be read");
        }
        if (info is null)
            throw new NotAnImageException(NotAnImageMessage);
        if (info.Width <= 0 || info.Height <= 0)
            throw new CorruptImageException($"The {format.Name} header declares {InvalidSize(info.Width, info.Height)} ({info.Width}x{info.Height}).");
        if (info.Width > options.MaxSide || info.Height > options.MaxSide)
        {
            throw new ImageTooLargeException(
                $"The {format.Name} header declares {info.Width}x{info.Height}; the limit is {options.MaxSide:N0} pixels a side.");
        }

        long pixels = (long)info.Width * info.Height;
        if (pixels > options.MaxPixels)
        {
            throw new ImageTooLargeException(
                $"The {format.Name} header declares {info.Width}x{info.Height} = {pixels:N0} pixels; the limit is {options.MaxPixels:N0}.");
        }
        // After the size check, so a small file claiming a huge size is "too large" rather than "truncated" (and the PNG
        // inflate is bounded by the pixel limit).
        if (format == BmpFormat.Instance)
            BmpStructure.CheckPixelLength(bytes);
        else if (format == PngFormat.Instance)
            PngStructure.CheckPixelData(bytes);
        else if (format == JpegFormat.Instance)
            JpegStructure.CheckScans(bytes, options.MaxJpegScanPixels);
        else if (format == TiffFormat.Instance)
            TiffStructure.CheckLayout(bytes);
        cancellationToken.ThrowIfCancellationRequested();

        buffer.Position = 0;
        Image<Rgb24> image;
        try
        {
            image = format == JpegFormat.Instance
                ? decoder.Decode<Rgb24>(config, buffer, cancellationToken)
                : LoadTrimmingTransparentBorder(buffer, config, decoder, cancellationToken);
        }
        catch (Exception e) when (IsBadData(e))
        {
            throw Classify(format, e, "data could not be decoded");
        }

        try
        {
            while (image.Frames.Count > 1)
                image.Frames.RemoveFrame(image.Frames.Count - 1);
            // ImageSharp parses an EXIF block lazily, on the first read of a value: here, inside the bad-data mapping,
            // rather than inside AutoOrient (the structure checks have walked it; this catches what they cannot foresee).
            try
            {
                _ = image.Metadata.ExifProfile?.Values;
            }
            catch (Exception e) when (IsBadData(e))
            {
                throw Classify(format, e, "EXIF metadata could not be read");
            }
            image.Mutate(x => x.AutoOrient());
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True for the exceptions that mean "these bytes are bad" (or name an unsupported feature or a too-large size):
    /// ImageSharp's <see cref="ImageFormatException"/> family (<see cref="InvalidImageContentException"/>,
    /// <see cref="UnknownImageFormatException"/>), its <see cref="InvalidMemoryOperationException"/> (a size it cannot
    /// allocate), <see cref="NotSupportedException"/> (a feature it lacks), <see cref="InvalidDataException"/> (a broken
    /// zlib stream) and <see cref="EndOfStreamException"/> (data cut short); and the null-reference, index, argument,
    /// overflow and invalid-operation exceptions that ImageSharp 2.1's format decoders raise while parsing malformed bytes
    /// (the first frame of their stack outside the runtime and ImageSharp's general helpers is in
    /// SixLabors.ImageSharp.Formats or its metadata profile readers). Everything else is a fault of this process, not of the image, and passes through unchanged: a missing assembly or native library
    /// (<see cref="FileNotFoundException"/>, <see cref="FileLoadException"/>, <see cref="BadImageFormatException"/>,
    /// <see cref="TypeLoadException"/>, <see cref="DllNotFoundException"/>, <see cref="MissingMemberException"/>,
    /// <see cref="TypeInitializationException"/>), <see cref="OutOfMemoryException"/>,
    /// <see cref="PlatformNotSupportedException"/>, and any other exception (a bug).
    /// </summary>
    internal static bool IsBadData(Exception e) => e switch
    {
        PlatformNotSupportedException => false,
        ImageFormatException or InvalidMemoryOperationException or NotSupportedException or InvalidDataException
            or EndOfStreamException => true,
        // ImageSharp 2.1's format decoders report some malformed files with these instead of InvalidImageContentException
        // (found by fuzzing: a JPEG scan before any frame header, a TIFF palette shorter than its bit depth, a TIFF
        // without the tags a photometric interpretation needs). Raised by a decoder's own parsing they are a verdict on
        // the bytes; raised anywhere else (our code, a processor, a decoder swapped in) they stay faults of the server.
        NullReferenceException or IndexOutOfRangeException or ArgumentException or InvalidOperationException
            or OverflowException or DivideByZeroException or InvalidCastException => RaisedByImageSharpParser(e),
        _ => false,
    };

    // Walking the exception's stack from where it was thrown, past the runtime's own code (System.*: Nullable.Value, span
    // slicing; Internal.*: the JIT's throw helpers for a bad index or a checked overflow) and ImageSharp's general helpers
    // (SixLabors.ThrowHelper and Guard, ImageFrame and Image constructors, Buffer2D bounds checks, its streams), the first
    // method is one of ImageSharp's format decoders or metadata profile readers: a decoder handed them values it parsed.
    private static bool RaisedByImageSharpParser(Exception e)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(e, fNeedFileInfo: false).GetFrames())
        {
            string? ns = frame.GetMethod()?.DeclaringType?.Namespace;
            if (ns is null || ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)
                || ns.StartsWith("Internal.", StringComparison.Ordinal)
                || ns is "SixLabors" or "SixLabors.ImageSharp" or "SixLabors.ImageSharp.Memory" or "SixLabors.ImageSharp.IO")
            {
                continue;
            }

            return ns.StartsWith("SixLabors.ImageSharp.Formats", StringComparison.Ordinal)
                || ns.StartsWith("SixLabors.ImageSharp.Metadata.Profiles", StringComparison.Ordinal);
        }
        return false;
    }

    private static ImageInputException Classify(IImageFormat format, Exception e, string what) => e switch
    {
        UnknownImageFormatException => new NotAnImageException(NotAnImageMessage, e),
        NotSupportedException n => Unsupported(format, n),
        InvalidMemoryOperationException => new ImageTooLargeException($"The {format.Name} image is too large to decode: {e.Message}", e),
        _ => new CorruptImageException($"The {format.Name} {what}: {e.Message}", e),
    };

    private static UnsupportedImageException Unsupported(IImageFormat format, NotSupportedException e) =>
        new($"The {format.Name} uses a feature this decoder does not support: {e.Message}", e);

    // A cut-out with an alpha channel (PNG, WebP, GIF) often comes padded with fully transparent pixels whose RGB is
    // arbitrary. Those rows and columns are not part of the person: they are cut off before the resize, so the crop is
    // the opaque region as a detector's RGB crop would be. Partly transparent pixels keep their RGB (alpha is dropped).
    // An image with no visible pixel at all is refused (EmptyImageException): an empty detector cut-out is not a person,
    // and all such images would embed alike and match each other.
    private static Image<Rgb24> LoadTrimmingTransparentBorder(Stream buffer, Configuration config, IImageDecoder decoder,
        CancellationToken cancellationToken)
    {
        using var rgba = decoder.Decode<Rgba32>(config, buffer, cancellationToken);
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

    private const string NotAnImageMessage = $"The data is not an image in a supported format ({UnsupportedFormats.Accepted}).";

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

    // What is wrong with a size whose width or height is not positive (a BMP height of int.MinValue has no top-down
    // absolute value and reaches here negative).
    private static string InvalidSize(int width, int height) => (width, height) switch
    {
        ( < 0, < 0) => "a negative width and height",
        ( < 0, _) => "a negative width",
        (_, < 0) => "a negative height",
        _ => "a zero size",
    };
}
