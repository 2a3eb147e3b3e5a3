namespace SanReid.Trainer.Export.Quantization;

/// <summary>The calibrated range of one activation tensor, in its float units.</summary>
/// <param name="Min">Lower end (at most 0 once used: the range is widened to hold 0 exactly).</param>
/// <param name="Max">Upper end.</param>
public sealed record ActivationRange(float Min, float Max);

/// <summary>Per-tensor affine parameters: real = Scale x (q - ZeroPoint).</summary>
/// <param name="Scale">Step in float units, &gt; 0.</param>
/// <param name="ZeroPoint">The quantized value that stands for real 0 (0..255 for uint8).</param>
public readonly record struct AffineQuantization(float Scale, byte ZeroPoint);

/// <summary>
/// Scale and zero-point rules of the quantizer (as ONNX Runtime's static quantizer: activations uint8 asymmetric per
/// tensor, weights int8 symmetric per output channel with range [-127, 127], biases int32 with scale s_x s_w and
/// zero point 0).
/// </summary>
public static class QuantizationParameters
{
    /// <summary>Largest int8 weight magnitude: [-127, 127] keeps the grid symmetric (no lone -128).</summary>
    public const int WeightMax = 127;

    /// <summary>
    /// uint8 parameters for <paramref name="range"/> widened to hold 0, so that 0 (ReLU's floor, zero padding) is
    /// exact: scale = (max - min) / 255, zero point = round(-min / scale). A range of width 0 gets scale 1.
    /// </summary>
    public static AffineQuantization Activation(ActivationRange range)
    {
        double min = Math.Min(range.Min, 0);
        double max = Math.Max(range.Max, 0);
        if (!double.IsFinite(min) || !double.IsFinite(max))
        {
            throw new InvalidDataException($"Activation range [{range.Min}, {range.Max}] is not finite.");
        }

        double scale = (max - min) / 255;
        if (scale <= 0 || (float)scale == 0)
        {
            return new AffineQuantization(1f, 0);
        }

        double zeroPoint = Math.Round(-min / scale);
        return new AffineQuantization((float)scale, (byte)Math.Clamp(zeroPoint, 0, 255));
    }

    /// <summary>
    /// Per-channel symmetric int8 weights: s_c = max |W_c| / 127, q = clamp(round(W / s_c), -127, 127). A channel of
    /// zeros gets scale 1 (its values are exactly 0).
    /// </summary>
    /// <param name="weights">Float weights, row-major.</param>
    /// <param name="channels">Output channel count.</param>
    /// <param name="channelOf">Channel of flat index i.</param>
    /// <returns>The int8 values and the scale of each channel.</returns>
    public static (sbyte[] Values, float[] Scales) Weights(float[] weights, int channels, Func<int, int> channelOf)
    {
        var scales = new float[channels];
        for (int i = 0; i < weights.Length; i++)
        {
            int c = channelOf(i);
            scales[c] = Math.Max(scales[c], Math.Abs(weights[i]));
        }

        for (int c = 0; c < channels; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / WeightMax : 1f;
        }

        var values = new sbyte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            values[i] = (sbyte)Math.Clamp(Math.Round(weights[i] / scales[channelOf(i)]), -WeightMax, WeightMax);
        }

        return (values, scales);
    }
}
