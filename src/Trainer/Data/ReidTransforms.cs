using SanReid.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SanReid.Trainer.Data;

/// <summary>The random translation of <see cref="ReidTransforms.Train(Func{int, int, RgbCrop}, int, int, Random, ReidTransformOptions?)"/>.</summary>
public enum TranslationKind
{
    /// <summary>
    /// The public SAN code's Random2DTranslation (torchreid/transforms.py): with probability p the source image is resized
    /// to round(1.125 H) x round(1.125 W) and an H x W window is cropped at a random place; otherwise it is resized to
    /// H x W.
    /// </summary>
    Random2D,

    /// <summary>Zero padding of <see cref="ReidTransformOptions.Padding"/> pixels on each side, then a random H x W crop.</summary>
    Pad,

    /// <summary>No translation.</summary>
    None,
}

/// <summary>What random erasing writes into the erased rectangle of the normalised CHW tensor.</summary>
public enum ErasingFillKind
{
    /// <summary>
    /// The numbers 0.485, 0.456, 0.406 (R, G, B), as the public SAN code's RandomErasing does after normalisation: in
    /// pixel terms a light grey (mean + std x mean, about 0.596, 0.558, 0.497 of full scale).
    /// </summary>
    MeanValues,

    /// <summary>0, i.e. the ImageNet mean colour once normalised.</summary>
    Zero,
}

/// <summary>Augmentation settings of <see cref="ReidTransforms"/>; defaults are the SAN recipe (DESIGN.md "Training recipe", public code torchreid/transforms.py).</summary>
public sealed record ReidTransformOptions
{
    /// <summary>Random translation. Default <see cref="TranslationKind.Random2D"/> (public code).</summary>
    public TranslationKind Translation { get; init; } = TranslationKind.Random2D;

    /// <summary>Probability that Random2DTranslation enlarges and crops. Default 0.5 (public code).</summary>
    public double TranslationProbability { get; init; } = 0.5;

    /// <summary>Probability of a horizontal flip. Default 0.5.</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>Zero padding in pixels on each side for <see cref="TranslationKind.Pad"/>. Default 10; 0 disables.</summary>
    public int Padding { get; init; } = 10;

    /// <summary>Probability of random erasing. Default 0.5.</summary>
    public double ErasingProbability { get; init; } = 0.5;

    /// <summary>What erasing writes. Default <see cref="ErasingFillKind.MeanValues"/> (public code).</summary>
    public ErasingFillKind ErasingFill { get; init; } = ErasingFillKind.MeanValues;

    /// <summary>Smallest erased area as a fraction of the image. Default 0.02.</summary>
    public double ErasingMinArea { get; init; } = 0.02;

    /// <summary>Largest erased area as a fraction of the image. Default 0.4.</summary>
    public double ErasingMaxArea { get; init; } = 0.4;

    /// <summary>Smallest erased aspect ratio h/w (the largest is its inverse). Default 0.3.</summary>
    public double ErasingMinAspect { get; init; } = 0.3;
}

/// <summary>
/// Image and texture to network input, pure managed code over <see cref="RgbCrop"/> (decoded and resized by
/// SanReid.Imaging's <see cref="CropDecoder"/>, the same path the Api uses).
/// </summary>
/// <remarks>
/// <para>Images become float CHW [3, H, W] normalised with the ImageNet mean (0.485, 0.456, 0.406) and std
/// (0.229, 0.224, 0.225) of pixel/255. Training adds, in the public SAN code's order (torchreid build_transforms):
/// random translation (Random2DTranslation by default), horizontal flip, normalisation, random erasing (Zhong et al.,
/// "Random Erasing Data Augmentation", AAAI 2020: probability 0.5, area 0.02..0.4 of the image, aspect 0.3..3.33, up
/// to 100 attempts).</para>
/// <para>Erasing writes, by default, the raw ImageNet mean values (0.485, 0.456, 0.406) into the already normalised
/// tensor, as the public code does; <see cref="ErasingFillKind.Zero"/> writes 0 (the mean colour) instead.</para>
/// <para>Random2DTranslation resizes the <i>source</i> image to 1.125 times the input size (as PIL's resize of the
/// original does in the public code), so the training transform takes a decoder that can produce the image at either
/// size; the <see cref="RgbCrop"/> overload resizes the given crop instead.</para>
/// <para>Textures become float CHW [3, H, W] in [-1, 1] (pixel / 127.5 - 1, the public code's Normalize(0.5, 0.5)) and are
/// never flipped or otherwise augmented: a texture pixel is a fixed body-surface point.</para>
/// </remarks>
public static class ReidTransforms
{
    /// <summary>ImageNet channel means (RGB) of pixel/255.</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet channel standard deviations (RGB) of pixel/255.</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Evaluation transform: normalisation only, optionally mirrored (flip test-time augmentation).</summary>
    /// <param name="crop">Decoded RGB image (HWC bytes), already at the network input size.</param>
    /// <param name="flip">Mirror left-right.</param>
    /// <returns>Float CHW [3, H, W], ImageNet-normalised.</returns>
    public static float[] Eval(RgbCrop crop, bool flip = false)
    {
        ArgumentNullException.ThrowIfNull(crop);
        return Normalise(flip ? Flip(crop) : crop);
    }

    /// <summary>
    /// Training transform: random translation, horizontal flip, normalisation, random erasing (draws from
    /// <paramref name="random"/> in that order).
    /// </summary>
    /// <param name="source">Decodes the image at a requested (height, width); asked for H x W, or for the enlarged size of
    /// Random2DTranslation (<see cref="EnlargedSize"/>).</param>
    /// <param name="height">Network input height H.</param>
    /// <param name="width">Network input width W.</param>
    /// <param name="random">Generator; the output depends only on the source, the options and its state.</param>
    /// <param name="options">Augmentation settings; null = SAN recipe.</param>
    /// <returns>Float CHW [3, H, W].</returns>
    /// <exception cref="ArgumentException">The source returned a crop of another size than asked for.</exception>
    public static float[] Train(Func<int, int, RgbCrop> source, int height, int width, Random random, ReidTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        options ??= new ReidTransformOptions();
        var image = options.Translation switch
        {
            TranslationKind.Random2D => Random2DTranslation(source, height, width, options.TranslationProbability, random),
            TranslationKind.Pad when options.Padding > 0 =>
                PadCrop(Checked(source, height, width), options.Padding, random.Next(2 * options.Padding + 1), random.Next(2 * options.Padding + 1)),
            _ => Checked(source, height, width),
        };
        if (random.NextDouble() < options.FlipProbability)
        {
            image = Flip(image);
        }

        var chw = Normalise(image);
        if (random.NextDouble() < options.ErasingProbability)
        {
            Erase(chw, image.Height, image.Width, random, options);
        }

        return chw;
    }

    /// <summary>
    /// <see cref="Train(Func{int, int, RgbCrop}, int, int, Random, ReidTransformOptions?)"/> on a crop already at the
    /// network input size; Random2DTranslation's enlargement resizes this crop (bilinear, <see cref="CropDecoder.Resampler"/>).
    /// </summary>
    /// <param name="crop">Decoded RGB image (HWC bytes) at the network input size.</param>
    /// <param name="random">Generator; the output depends only on the crop, the options and its state.</param>
    /// <param name="options">Augmentation settings; null = SAN recipe.</param>
    /// <returns>Float CHW [3, H, W].</returns>
    public static float[] Train(RgbCrop crop, Random random, ReidTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(crop);
        return Train((h, w) => h == crop.Height && w == crop.Width ? crop : Resize(crop, h, w), crop.Height, crop.Width, random, options);
    }

    /// <summary>Random2DTranslation's enlarged size: (round(1.125 H), round(1.125 W)), halves to even as Python's round; 256 x 128 gives 288 x 144.</summary>
    public static (int Height, int Width) EnlargedSize(int height, int width) =>
        ((int)Math.Round(height * 1.125, MidpointRounding.ToEven), (int)Math.Round(width * 1.125, MidpointRounding.ToEven));

    /// <summary>
    /// The public SAN code's Random2DTranslation: draw u in [0, 1); when u &lt; <paramref name="probability"/>, decode the
    /// source at <see cref="EnlargedSize"/>, draw the left edge x1 = round(U(0, W' - W)) and then the top edge
    /// y1 = round(U(0, H' - H)) (halves to even), and return the H x W window there; otherwise return the source decoded
    /// at H x W. Probability 0 therefore returns <c>source(H, W)</c> itself.
    /// </summary>
    /// <param name="source">Decodes the image at a requested (height, width).</param>
    /// <param name="height">Output height H.</param>
    /// <param name="width">Output width W.</param>
    /// <param name="probability">Chance of enlarge-and-crop, in [0, 1] (public code: 0.5).</param>
    /// <param name="random">Generator: one draw, plus two when enlarging.</param>
    /// <returns>An H x W crop.</returns>
    /// <exception cref="ArgumentException">The source returned a crop of another size than asked for.</exception>
    public static RgbCrop Random2DTranslation(Func<int, int, RgbCrop> source, int height, int width, double probability, Random random)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(random);
        if (!(random.NextDouble() < probability))
        {
            return Checked(source, height, width);
        }

        var (bigH, bigW) = EnlargedSize(height, width);
        var enlarged = Checked(source, bigH, bigW);
        var left = (int)Math.Round(random.NextDouble() * (bigW - width), MidpointRounding.ToEven);
        var top = (int)Math.Round(random.NextDouble() * (bigH - height), MidpointRounding.ToEven);
        return Window(enlarged, top, left, height, width);
    }

    /// <summary>The <paramref name="height"/> x <paramref name="width"/> window of <paramref name="crop"/> whose top-left pixel is (<paramref name="top"/>, <paramref name="left"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window does not lie inside the crop.</exception>
    public static RgbCrop Window(RgbCrop crop, int top, int left, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(crop);
        if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > crop.Height || left + width > crop.Width)
        {
            throw new ArgumentOutOfRangeException(nameof(top), $"Window {height}x{width} at ({top}, {left}) does not fit a {crop.Height}x{crop.Width} crop.");
        }

        var pixels = new byte[height * width * 3];
        for (var y = 0; y < height; y++)
        {
            crop.Pixels.AsSpan((((top + y) * crop.Width) + left) * 3, width * 3).CopyTo(pixels.AsSpan(y * width * 3));
        }

        return new RgbCrop(height, width, pixels);
    }

    /// <summary>Bilinear resize of a crop (ImageSharp, <see cref="CropDecoder.Resampler"/>, the decoder's own resize).</summary>
    public static RgbCrop Resize(RgbCrop crop, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(crop);
        using var image = Image.LoadPixelData<Rgb24>(crop.Pixels, crop.Width, crop.Height);
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(width, height), Mode = ResizeMode.Stretch, Sampler = CropDecoder.Resampler }));
        var pixels = new byte[height * width * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbCrop(height, width, pixels);
    }

    /// <summary>Texture to float CHW [3, H, W] in [-1, 1] (pixel / 127.5 - 1). Never flipped.</summary>
    public static float[] Texture(RgbCrop texture)
    {
        ArgumentNullException.ThrowIfNull(texture);
        var plane = texture.Height * texture.Width;
        var result = new float[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                result[c * plane + i] = texture.Pixels[i * 3 + c] / 127.5f - 1f;
            }
        }

        return result;
    }

    /// <summary>Left-right mirror of an HWC crop.</summary>
    public static RgbCrop Flip(RgbCrop crop)
    {
        ArgumentNullException.ThrowIfNull(crop);
        var (h, w) = (crop.Height, crop.Width);
        var pixels = new byte[crop.Pixels.Length];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                crop.Pixels.AsSpan((y * w + x) * 3, 3).CopyTo(pixels.AsSpan((y * w + (w - 1 - x)) * 3, 3));
            }
        }

        return new RgbCrop(h, w, pixels);
    }

    /// <summary>
    /// Random translation: the crop padded with <paramref name="padding"/> black pixels on each side, then the H x W window
    /// whose top-left corner is at (<paramref name="top"/>, <paramref name="left"/>) in the padded image (0..2*padding).
    /// top = left = padding gives the input back.
    /// </summary>
    public static RgbCrop PadCrop(RgbCrop crop, int padding, int top, int left)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)top, (uint)(2 * padding), nameof(top));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)left, (uint)(2 * padding), nameof(left));
        var (h, w) = (crop.Height, crop.Width);
        var pixels = new byte[crop.Pixels.Length];
        var dy = top - padding;
        var dx = left - padding;
        for (var y = 0; y < h; y++)
        {
            var sy = y + dy;
            if (sy < 0 || sy >= h)
            {
                continue;
            }

            var x0 = Math.Max(0, -dx);
            var x1 = Math.Min(w, w - dx);
            if (x1 > x0)
            {
                crop.Pixels.AsSpan((sy * w + x0 + dx) * 3, (x1 - x0) * 3).CopyTo(pixels.AsSpan((y * w + x0) * 3));
            }
        }

        return new RgbCrop(h, w, pixels);
    }

    private static RgbCrop Checked(Func<int, int, RgbCrop> source, int height, int width)
    {
        var crop = source(height, width);
        if (crop.Height != height || crop.Width != width)
        {
            throw new ArgumentException($"The image source returned {crop.Height}x{crop.Width} when asked for {height}x{width}.", nameof(source));
        }

        return crop;
    }

    private static float[] Normalise(RgbCrop crop)
    {
        var plane = crop.Height * crop.Width;
        var result = new float[3 * plane];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                result[c * plane + i] = (crop.Pixels[i * 3 + c] / 255f - ImageNetMean[c]) / ImageNetStd[c];
            }
        }

        return result;
    }

    private static void Erase(float[] chw, int h, int w, Random random, ReidTransformOptions options)
    {
        var area = h * w;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var target = (options.ErasingMinArea + random.NextDouble() * (options.ErasingMaxArea - options.ErasingMinArea)) * area;
            var aspect = options.ErasingMinAspect + random.NextDouble() * (1 / options.ErasingMinAspect - options.ErasingMinAspect);
            var eh = (int)Math.Round(Math.Sqrt(target * aspect));
            var ew = (int)Math.Round(Math.Sqrt(target / aspect));
            if (eh < h && ew < w && eh > 0 && ew > 0)
            {
                var y0 = random.Next(h - eh + 1);
                var x0 = random.Next(w - ew + 1);
                for (var c = 0; c < 3; c++)
                {
                    var fill = options.ErasingFill == ErasingFillKind.MeanValues ? ImageNetMean[c] : 0f;
                    for (var y = y0; y < y0 + eh; y++)
                    {
                        chw.AsSpan(c * area + y * w + x0, ew).Fill(fill);
                    }
                }

                return;
            }
        }
    }
}
