using SanReid.Imaging;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class ReidTransformsTests
{
    /// <summary>A crop whose pixel (y, x) has R = x, G = y, B = 7.</summary>
    private static RgbCrop Gradient(int h, int w)
    {
        var pixels = new byte[h * w * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                pixels[(y * w + x) * 3] = (byte)x;
                pixels[(y * w + x) * 3 + 1] = (byte)y;
                pixels[(y * w + x) * 3 + 2] = 7;
            }
        }

        return new RgbCrop(h, w, pixels);
    }

    [Fact]
    public void EvalNormalisesWithImageNetMeanAndStdInChannelMajorOrder()
    {
        var crop = Gradient(4, 3);

        var chw = ReidTransforms.Eval(crop);

        Assert.Equal(3 * 4 * 3, chw.Length);
        // Pixel (y 2, x 1): R = 1, G = 2, B = 7.
        Assert.Equal((1 / 255f - 0.485f) / 0.229f, chw[0 * 12 + 2 * 3 + 1], 6);
        Assert.Equal((2 / 255f - 0.456f) / 0.224f, chw[1 * 12 + 2 * 3 + 1], 6);
        Assert.Equal((7 / 255f - 0.406f) / 0.225f, chw[2 * 12 + 2 * 3 + 1], 6);
    }

    [Fact]
    public void FlipMirrorsEachRow()
    {
        var flipped = ReidTransforms.Flip(Gradient(2, 5));

        Assert.Equal(4, flipped.Pixels[0]); // (0, 0) now holds x = 4
        Assert.Equal(0, flipped.Pixels[4 * 3]);
        Assert.Equal(1, flipped.Pixels[(5 + 0) * 3 + 1]); // row 1 keeps G = 1
    }

    [Fact]
    public void PadCropTranslatesAndFillsWithBlack()
    {
        var crop = Gradient(4, 4);

        var same = ReidTransforms.PadCrop(crop, 2, 2, 2);
        var shifted = ReidTransforms.PadCrop(crop, 2, 0, 1); // window starts 2 rows above and 1 column left of the image

        Assert.Equal(crop.Pixels, same.Pixels);
        Assert.All(shifted.Pixels.AsSpan(0, 2 * 4 * 3).ToArray(), v => Assert.Equal(0, v)); // first two rows are padding
        Assert.Equal(0, shifted.Pixels[(2 * 4 + 0) * 3 + 2]); // column 0 is padding (B would be 7)
        Assert.Equal(0, shifted.Pixels[(2 * 4 + 1) * 3]); // (2, 1) holds source (0, 0): R = 0
        Assert.Equal(7, shifted.Pixels[(2 * 4 + 1) * 3 + 2]);
        Assert.Equal(1, shifted.Pixels[(3 * 4 + 2) * 3]); // (3, 2) holds source (1, 1): R = 1
        Assert.Equal(1, shifted.Pixels[(3 * 4 + 2) * 3 + 1]);
    }

    [Fact]
    public void TrainWithoutAugmentationEqualsEval()
    {
        var crop = Gradient(8, 4);
        var none = new ReidTransformOptions { Translation = TranslationKind.None, FlipProbability = 0, ErasingProbability = 0 };

        Assert.Equal(ReidTransforms.Eval(crop), ReidTransforms.Train(crop, new Random(1), none));
    }

    [Fact]
    public void AlwaysFlippingEqualsTheMirroredEval()
    {
        var crop = Gradient(8, 4);
        var flipOnly = new ReidTransformOptions { Translation = TranslationKind.None, FlipProbability = 1, ErasingProbability = 0 };

        Assert.Equal(ReidTransforms.Eval(crop, flip: true), ReidTransforms.Train(crop, new Random(1), flipOnly));
    }

    [Fact]
    public void ZeroFillErasingZeroesOneRectangleInEveryChannel()
    {
        var crop = new RgbCrop(64, 32, Enumerable.Repeat((byte)200, 64 * 32 * 3).ToArray());
        var eraseOnly = new ReidTransformOptions { Translation = TranslationKind.None, FlipProbability = 0, ErasingProbability = 1, ErasingFill = ErasingFillKind.Zero };

        var chw = ReidTransforms.Train(crop, new Random(4), eraseOnly);

        var plane = 64 * 32;
        var erased = Enumerable.Range(0, plane).Where(i => chw[i] == 0f).ToArray();
        Assert.InRange(erased.Length, (int)(0.02 * plane) - 40, (int)(0.4 * plane) + 40);
        for (var c = 1; c < 3; c++)
        {
            Assert.Equal(erased, Enumerable.Range(0, plane).Where(i => chw[c * plane + i] == 0f));
        }

        var ys = erased.Select(i => i / 32).ToArray();
        var xs = erased.Select(i => i % 32).ToArray();
        Assert.Equal((ys.Max() - ys.Min() + 1) * (xs.Max() - xs.Min() + 1), erased.Length); // one rectangle
    }

    [Fact]
    public void ErasingWritesThePerChannelImageNetMeanValuesLikeThePublicCode()
    {
        // A grey 200 image: unerased values are (200/255 - mean_c) / std_c, e.g. R (0.78431 - 0.485) / 0.229 = 1.30705.
        // The public code's RandomErasing writes mean_c itself into the normalised tensor: R 0.485, G 0.456, B 0.406.
        var crop = new RgbCrop(64, 32, Enumerable.Repeat((byte)200, 64 * 32 * 3).ToArray());
        var eraseOnly = new ReidTransformOptions { Translation = TranslationKind.None, FlipProbability = 0, ErasingProbability = 1 };

        var chw = ReidTransforms.Train(crop, new Random(4), eraseOnly);

        var plane = 64 * 32;
        float[] means = [0.485f, 0.456f, 0.406f];
        float[] kept = [(200 / 255f - 0.485f) / 0.229f, (200 / 255f - 0.456f) / 0.224f, (200 / 255f - 0.406f) / 0.225f];
        Assert.Equal(1.30705f, kept[0], 4);
        var erased = Enumerable.Range(0, plane).Where(i => chw[i] == means[0]).ToArray();
        Assert.InRange(erased.Length, (int)(0.02 * plane) - 40, (int)(0.4 * plane) + 40);
        for (var c = 0; c < 3; c++)
        {
            var channel = chw.AsSpan(c * plane, plane).ToArray();
            Assert.Equal(erased, Enumerable.Range(0, plane).Where(i => channel[i] == means[c]));
            Assert.All(Enumerable.Range(0, plane).Except(erased), i => Assert.Equal(kept[c], channel[i]));
        }

        var ys = erased.Select(i => i / 32).ToArray();
        var xs = erased.Select(i => i % 32).ToArray();
        Assert.Equal((ys.Max() - ys.Min() + 1) * (xs.Max() - xs.Min() + 1), erased.Length); // one rectangle
    }

    [Theory]
    [InlineData(256, 128, 288, 144)] // 1.125 x 256 = 288, 1.125 x 128 = 144
    [InlineData(64, 32, 72, 36)]
    [InlineData(100, 50, 112, 56)] // 112.5 rounds half to even (Python's round) -> 112; 56.25 -> 56
    public void Random2DTranslationEnlargesByOneEighth(int h, int w, int bigH, int bigW)
    {
        Assert.Equal((bigH, bigW), ReidTransforms.EnlargedSize(h, w));
    }

    [Fact]
    public void Random2DTranslationWithProbabilityZeroIsTheSourceAtTheInputSize()
    {
        var asked = new List<(int, int)>();
        var source = Gradient(64, 32);

        var result = ReidTransforms.Random2DTranslation((h, w) => { asked.Add((h, w)); return Gradient(h, w); }, 64, 32, 0, new Random(3));

        Assert.Equal([(64, 32)], asked); // never decoded at the enlarged size
        Assert.Equal(source.Pixels, result.Pixels);
    }

    [Fact]
    public void Random2DTranslationCropsTheInputSizeFromTheEnlargedImage()
    {
        // With p = 1 the source is asked for 72 x 36 (64 x 32 enlarged); Gradient(72, 36) holds R = x, G = y, so the
        // output's pixel (0, 0) names the window's (top, left), within 0..8 rows and 0..4 columns, and every other pixel
        // must be the enlarged image's pixel at (top + y, left + x).
        var lefts = new HashSet<int>();
        var tops = new HashSet<int>();
        for (var seed = 0; seed < 40; seed++)
        {
            var asked = new List<(int, int)>();
            var result = ReidTransforms.Random2DTranslation((h, w) => { asked.Add((h, w)); return Gradient(h, w); }, 64, 32, 1, new Random(seed));

            Assert.Equal([(72, 36)], asked);
            Assert.Equal((64, 32), (result.Height, result.Width));
            int left = result.Pixels[0], top = result.Pixels[1];
            Assert.InRange(left, 0, 4);
            Assert.InRange(top, 0, 8);
            Assert.Equal(ReidTransforms.Window(Gradient(72, 36), top, left, 64, 32).Pixels, result.Pixels);
            lefts.Add(left);
            tops.Add(top);
        }

        Assert.True(lefts.Count > 2 && tops.Count > 2, $"offsets should vary: left {string.Join(",", lefts)}, top {string.Join(",", tops)}");
    }

    [Fact]
    public void TheDefaultTrainTransformIsThePublicCodesRandom2DTranslationFlipAndMeanValueErasing()
    {
        var options = new ReidTransformOptions();
        Assert.Equal((TranslationKind.Random2D, 0.5, 0.5, 0.5, ErasingFillKind.MeanValues), (options.Translation, options.TranslationProbability, options.FlipProbability, options.ErasingProbability, options.ErasingFill));

        // Translation only, always: the output is a window of the source resized to 1.125x (here the crop's own resize).
        var crop = Gradient(64, 32);
        var translateOnly = new ReidTransformOptions { TranslationProbability = 1, FlipProbability = 0, ErasingProbability = 0 };
        var chw = ReidTransforms.Train(crop, new Random(2), translateOnly);
        Assert.Equal(3 * 64 * 32, chw.Length);
        Assert.NotEqual(ReidTransforms.Eval(crop), chw);
    }

    [Fact]
    public void TheSameSeedGivesTheSameAugmentation()
    {
        var crop = Gradient(32, 16);

        Assert.Equal(ReidTransforms.Train(crop, new Random(11)), ReidTransforms.Train(crop, new Random(11)));
        Assert.NotEqual(ReidTransforms.Train(crop, new Random(11)), ReidTransforms.Train(crop, new Random(12)));
    }

    [Fact]
    public void TexturesMapToMinusOneToOneWithoutFlipping()
    {
        var texture = new RgbCrop(1, 2, [0, 255, 128, 10, 20, 30]);

        var chw = ReidTransforms.Texture(texture);

        Assert.Equal([-1f, 10 / 127.5f - 1, 1f, 20 / 127.5f - 1, 128 / 127.5f - 1, 30 / 127.5f - 1], chw);
    }
}
