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
public static class CropDecoder
{
    /// <summary>
    /// Reads an image (JPEG, PNG, WebP, BMP, GIF first frame) from <paramref name="stream"/>, applies EXIF orientation,
    /// converts any colour model to 8-bit RGB and resizes to <see cref="CropDecoderOptions.Height"/> x
    /// <see cref="CropDecoderOptions.Width"/>.
    /// </summary>
    /// <exception cref="NotAnImageException">Unknown format or empty stream.</exception>
    /// <exception cref="CorruptImageException">Known format, undecodable data.</exception>
    /// <exception cref="ImageTooLargeException">Header pixel count or byte count over the limit.</exception>
    public static RgbCrop DecodeAndResize(Stream stream, CropDecoderOptions? options = null) =>
        throw new NotImplementedException("Imaging helper implements this.");

    /// <summary>As <see cref="DecodeAndResize"/> without the resize: the oriented RGB image at its own size.</summary>
    public static RgbCrop Decode(Stream stream, CropDecoderOptions? options = null) =>
        throw new NotImplementedException("Imaging helper implements this.");
}
