using SanReid.Inference;
using SanReid.Trainer.Export;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SanReid.Trainer.Inference;

/// <summary>The TorchSharp side of the model contract: uint8 crops -> L2-normalised SA-Enc embeddings.</summary>
public static class TorchEmbedder
{
    /// <summary>
    /// Embeds <paramref name="count"/> crops of 256 x 128 with <paramref name="encoder"/> exactly as the exported graph does.
    /// </summary>
    /// <param name="encoder">An SA-Enc in eval mode.</param>
    /// <param name="crops">count x 256 x 128 x 3 bytes, RGB, row-major (NHWC).</param>
    /// <param name="count">Number of crops.</param>
    /// <returns>count x 512 floats, each row L2-normalised.</returns>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    public static float[] Embed(SaEncoder encoder, byte[] crops, int count) =>
        Embed(encoder, crops, count, EmbeddingContract.Height, EmbeddingContract.Width);

    /// <summary>
    /// Embeds <paramref name="count"/> crops of <paramref name="height"/> x <paramref name="width"/> with
    /// <paramref name="encoder"/> exactly as the exported graph does.
    /// </summary>
    /// <param name="encoder">An SA-Enc in eval mode.</param>
    /// <param name="crops">count x height x width x 3 bytes, RGB, row-major (NHWC).</param>
    /// <param name="count">Number of crops.</param>
    /// <param name="height">Crop height in pixels.</param>
    /// <param name="width">Crop width in pixels.</param>
    /// <returns>count x 512 floats, each row L2-normalised.</returns>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    public static float[] Embed(SaEncoder encoder, byte[] crops, int count, int height, int width) =>
        Embed(encoder, crops, count, height, width, flip: false);

    /// <summary>
    /// Embeds <paramref name="count"/> crops of <paramref name="height"/> x <paramref name="width"/> with
    /// <paramref name="encoder"/> exactly as the exported graph does; with <paramref name="flip"/>, as a graph exported
    /// with flip test-time augmentation (<see cref="ModelCard.FlipTta"/>): the L2-normalised mean of the neck features of
    /// the crop and of its horizontal mirror.
    /// </summary>
    /// <param name="encoder">An SA-Enc in eval mode.</param>
    /// <param name="crops">count x height x width x 3 bytes, RGB, row-major (NHWC).</param>
    /// <param name="count">Number of crops.</param>
    /// <param name="height">Crop height in pixels.</param>
    /// <param name="width">Crop width in pixels.</param>
    /// <param name="flip">Average with the mirrored crop's feature before the L2 normalisation.</param>
    /// <returns>count x 512 floats, each row L2-normalised.</returns>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    public static float[] Embed(SaEncoder encoder, byte[] crops, int count, int height, int width, bool flip)
    {
        if (crops.Length != count * height * width * 3)
        {
            throw new ArgumentException($"Expected {count} crops of {height}x{width}x3 bytes, got {crops.Length} bytes.", nameof(crops));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pixels = tensor(crops, [count, height, width, 3L], dtype: ScalarType.Byte);
        var images = Normalise(pixels);
        var features = encoder.call(images);
        if (flip)
        {
            features = features.add(encoder.call(images.flip(3))).div(2f);
        }

        var embeddings = F.normalize(features, p: 2, dim: 1, eps: EmbeddingContract.NormEpsilon);
        return embeddings.data<float>().ToArray();
    }

    /// <summary>uint8 [N, H, W, 3] RGB -> float32 [N, 3, H, W] with /255 and ImageNet mean/std.</summary>
    public static Tensor Normalise(Tensor pixels)
    {
        var mean = tensor(ImageNetInputFold.Mean).view(1, 3, 1, 1);
        var std = tensor(ImageNetInputFold.Std).view(1, 3, 1, 1);
        return pixels.to_type(ScalarType.Float32).permute(0, 3, 1, 2).div(255f).sub(mean).div(std);
    }
}
