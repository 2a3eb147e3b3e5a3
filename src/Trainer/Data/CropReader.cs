using SanReid.Imaging;

namespace SanReid.Trainer.Data;

/// <summary>
/// Reads dataset files through SanReid.Imaging's <see cref="CropDecoder"/> (decode, EXIF orientation, 8-bit RGB,
/// resize), so training sees the pixels the Api sees.
/// </summary>
/// <param name="imageHeight">Network input height (DESIGN.md: 256).</param>
/// <param name="imageWidth">Network input width (DESIGN.md: 128).</param>
/// <param name="textureSize">Texture side (DESIGN.md: 256; textures are square UV maps).</param>
public sealed class CropReader(int imageHeight = 256, int imageWidth = 128, int textureSize = 256)
{
    private readonly CropDecoderOptions imageOptions = new() { Height = imageHeight, Width = imageWidth };
    private readonly CropDecoderOptions textureOptions = new() { Height = textureSize, Width = textureSize };

    /// <summary>Network input height.</summary>
    public int ImageHeight => imageOptions.Height;

    /// <summary>Network input width.</summary>
    public int ImageWidth => imageOptions.Width;

    /// <summary>A person image resized to imageHeight x imageWidth, HWC RGB bytes.</summary>
    /// <exception cref="ReidDatasetException">The file is missing or is not a usable image; the message names it (the Imaging error is the inner exception).</exception>
    public RgbCrop ReadImage(string path) => Read(path, imageOptions);

    /// <summary>A person image resized to <paramref name="height"/> x <paramref name="width"/> (e.g. Random2DTranslation's 1.125x enlargement), HWC RGB bytes.</summary>
    /// <exception cref="ReidDatasetException">The file is missing or is not a usable image; the message names it.</exception>
    public RgbCrop ReadImage(string path, int height, int width) =>
        height == imageOptions.Height && width == imageOptions.Width ? Read(path, imageOptions) : Read(path, imageOptions with { Height = height, Width = width });

    /// <summary>A texture resized to textureSize x textureSize, HWC RGB bytes.</summary>
    /// <exception cref="ReidDatasetException">The file is missing or is not a usable image; the message names it.</exception>
    public RgbCrop ReadTexture(string path) => Read(path, textureOptions);

    private static RgbCrop Read(string path, CropDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = File.OpenRead(path);
            return CropDecoder.DecodeAndResize(stream, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageInputException)
        {
            throw new ReidDatasetException($"Cannot read image '{path}': {e.Message}", e);
        }
    }
}
