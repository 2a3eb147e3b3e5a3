namespace SanReid.Imaging;

/// <summary>Base of every error Imaging raises for bad input. <see cref="Code"/> is a stable machine-readable code.</summary>
public abstract class ImageInputException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// Stable error code: <c>not_an_image</c>, <c>unsupported_image</c>, <c>corrupt_image</c> or <c>image_too_large</c>.
    /// </summary>
    public string Code { get; } = code;

    /// <summary>The same error with <paramref name="source"/> (a file path or upload name) prefixed to the message.</summary>
    public ImageInputException WithSource(string source) => this switch
    {
        NotAnImageException => new NotAnImageException($"{source}: {Message}", this),
        UnsupportedImageException => new UnsupportedImageException($"{source}: {Message}", this),
        CorruptImageException => new CorruptImageException($"{source}: {Message}", this),
        ImageTooLargeException => new ImageTooLargeException($"{source}: {Message}", this),
        EmptyImageException => new EmptyImageException($"{source}: {Message}", this),
        _ => throw new InvalidOperationException($"Unknown image error type {GetType().Name}."),
    };
}

/// <summary>The image decodes but shows nothing: every pixel is fully transparent (an empty cut-out), so there is no
/// person to embed.</summary>
public sealed class EmptyImageException(string message, Exception? inner = null) : ImageInputException("empty_image", message, inner);

/// <summary>The bytes are in no image format this decoder knows of (neither a supported one, JPEG, PNG, WebP, BMP, GIF,
/// TIFF, nor a recognised unsupported one, which is <see cref="UnsupportedImageException"/>).</summary>
public sealed class NotAnImageException(string message, Exception? inner = null) : ImageInputException("not_an_image", message, inner);

/// <summary>
/// A known image format this decoder does not read (HEIF/HEIC, AVIF, JPEG 2000, JPEG XL, PSD, ICO, Netpbm, QOI, OpenEXR,
/// DDS, TGA: recognised by signature), or a supported format using a feature this decoder does not read: an animated
/// WebP, a tiled or otherwise unusual TIFF, or any feature ImageSharp 2.1 reports with <see cref="NotSupportedException"/>. The file may well be valid; a still, baseline re-encode of it will decode.
/// </summary>
public sealed class UnsupportedImageException(string message, Exception? inner = null) : ImageInputException("unsupported_image", message, inner);

/// <summary>The format was recognised but the data could not be decoded (truncated, broken chunk, a header field pointing
/// outside the file, zero-sized, too many JPEG scans, a TIFF or EXIF directory loop, pixel data that cannot fill the
/// declared image: a short PNG stream, TIFF strip or run-length BMP, a JPEG scan with fewer bytes than its blocks need).</summary>
public sealed class CorruptImageException(string message, Exception? inner = null) : ImageInputException("corrupt_image", message, inner);

/// <summary>
/// The header declares more pixels or a longer side (or the stream holds more bytes, PNG text metadata inflates to more, a
/// JPEG's scans cover more pixels together, or a JPEG metadata profile is split over more segments or bytes) than
/// allowed; refused before decoding pixels.
/// </summary>
public sealed class ImageTooLargeException(string message, Exception? inner = null) : ImageInputException("image_too_large", message, inner);
