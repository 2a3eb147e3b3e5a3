using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SanReid.Imaging;

/// <summary>
/// What <see cref="CropDecoder.DecodeAndResize"/> keeps of the upload for people to look at
/// (<see cref="CropDecoderOptions.Preview"/>): the decoded, oriented image (transparent border trimmed, alpha dropped, as
/// the model sees it before the stretch) scaled down with its aspect ratio kept to fit
/// <see cref="MaxWidth"/> x <see cref="MaxHeight"/> (never scaled up) and encoded as baseline JPEG at
/// <see cref="Quality"/>, without metadata (no EXIF, ICC or XMP: GPS tags and camera serials stay out of the gallery).
/// </summary>
public sealed record CropPreviewOptions
{
    /// <summary>Largest preview height in pixels, 16..4096. Default 256 (a Market-1501 crop is 128 x 64).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 16..4096.</exception>
    public int MaxHeight { get; init => field = InRange(value, 16, 4096); } = 256;

    /// <summary>Largest preview width in pixels, 16..4096. Default 256 (a person crop is about twice as tall as wide).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 16..4096.</exception>
    public int MaxWidth { get; init => field = InRange(value, 16, 4096); } = 256;

    /// <summary>JPEG quality, 1..100 (libjpeg's scale). Default 85.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..100.</exception>
    public int Quality { get; init => field = InRange(value, 1, 100); } = 85;

    private static int InRange(int value, int min, int max, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value < min || value > max ? throw new ArgumentOutOfRangeException(name, value, $"{name} must be in {min}..{max}.") : value;
}

/// <summary>Encodes the preview of <see cref="CropPreviewOptions"/>.</summary>
internal static class CropPreview
{
    /// <summary>The JPEG preview of an oriented RGB image; <paramref name="image"/> is not changed.</summary>
    /// <returns>JPEG bytes, at most MaxWidth x MaxHeight pixels (at least 1 x 1), 4:2:0 YCbCr.</returns>
    public static byte[] Encode(Image<Rgb24> image, CropPreviewOptions options)
    {
        double scale = Math.Min(1.0, Math.Min((double)options.MaxHeight / image.Height, (double)options.MaxWidth / image.Width));
        int width = Math.Max(1, (int)Math.Round(image.Width * scale));
        int height = Math.Max(1, (int)Math.Round(image.Height * scale));
        using Image<Rgb24> preview = scale < 1.0
            ? image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(width, height), Mode = ResizeMode.Stretch, Sampler = CropDecoder.Resampler }))
            : image.Clone();
        preview.Metadata.ExifProfile = null;
        preview.Metadata.IccProfile = null;
        preview.Metadata.XmpProfile = null;
        preview.Metadata.IptcProfile = null;
        using var stream = new MemoryStream();
        preview.SaveAsJpeg(stream, new JpegEncoder { Quality = options.Quality, ColorType = JpegColorType.YCbCrRatio420 });
        return stream.ToArray();
    }
}
