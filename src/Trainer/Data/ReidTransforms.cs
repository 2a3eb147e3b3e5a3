using SanReid.Imaging;

namespace SanReid.Trainer.Data;

/// <summary>Augmentation settings of <see cref="ReidTransforms.Train"/>; defaults are the SAN recipe (DESIGN.md "Training recipe").</summary>
public sealed record ReidTransformOptions
{
    /// <summary>Probability of a horizontal flip. Default 0.5.</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>Zero padding in pixels on each side before the random crop back to the input size (random translation). Default 10; 0 disables.</summary>
    public int Padding { get; init; } = 10;

    /// <summary>Probability of random erasing. Default 0.5.</summary>
    public double ErasingProbability { get; init; } = 0.5;

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
/// (0.229, 0.224, 0.225) of pixel/255. Training adds, in this order: horizontal flip, zero pad + random crop (random
/// translation), normalisation, random erasing (Zhong et al., "Random Erasing Data Augmentation", AAAI 2020: area
/// 0.02..0.4 of the image, aspect 0.3..3.33, up to 100 attempts).</para>
/// <para>Erasing fills the rectangle with the ImageNet mean colour, i.e. 0 after normalisation. The SAN public code
/// (torchreid) writes the raw mean values (0.485, 0.456, 0.406) into the already normalised tensor; that quirk is not
/// copied.</para>
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

    /// <summary>Training transform: flip, pad-crop translation, normalisation, random erasing.</summary>
    /// <param name="crop">Decoded RGB image (HWC bytes), already at the network input size.</param>
    /// <param name="random">Generator; the output depends only on the crop, the options and its state.</param>
    /// <param name="options">Augmentation settings; null = SAN recipe.</param>
    /// <returns>Float CHW [3, H, W].</returns>
    public static float[] Train(RgbCrop crop, Random random, ReidTransformOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentNullException.ThrowIfNull(random);
        options ??= new ReidTransformOptions();
        var image = random.NextDouble() < options.FlipProbability ? Flip(crop) : crop;
        if (options.Padding > 0)
        {
            image = PadCrop(image, options.Padding, random.Next(2 * options.Padding + 1), random.Next(2 * options.Padding + 1));
        }

        var chw = Normalise(image);
        if (random.NextDouble() < options.ErasingProbability)
        {
            Erase(chw, image.Height, image.Width, random, options);
        }

        return chw;
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
                    for (var y = y0; y < y0 + eh; y++)
                    {
                        chw.AsSpan(c * area + y * w + x0, ew).Clear();
                    }
                }

                return;
            }
        }
    }
}
