using Onnx;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>
/// Rewrites conv1/bn1 of the packaged ImageNet ResNet-18 so it takes SanReid's input (RGB, /255, ImageNet mean
/// (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); DESIGN.md model contract) instead of its own (BGR, 0..255,
/// minus a per-pixel 224 x 224 mean image, ResNetPreprocess.onnx).
/// </summary>
/// <remarks>
/// With z the normalised RGB input, the original input is u_k = 255 (s_c z_c + m_c) - M_k for BGR channel k of RGB
/// channel c. conv1 is linear, so its weights are reordered BGR -> RGB and scaled by 255 s_c, and the constant
/// 255 m_c - mean(M_k) passed through conv1 is subtracted from bn1.running_mean. Two approximations remain, both
/// inherent to using the weights at 256 x 128: the per-pixel mean image is replaced by its per-channel average, and
/// zero padding of z at the borders corresponds to that constant rather than to zero.
/// </remarks>
public static class ImageNetInputFold
{
    /// <summary>ImageNet mean of RGB values in [0, 1].</summary>
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet standard deviation of RGB values in [0, 1].</summary>
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Reads ResNetPreprocess.onnx (Split -> Concat(B, G, R) -> Sub(MeanImage)) and returns the per-channel average of
    /// its mean image in BGR order, 0..255 units.
    /// </summary>
    /// <exception cref="WeightsFormatException">The graph is not that preprocessing.</exception>
    public static float[] ReadChannelMeansBgr(string preprocessPath)
    {
        GraphProto? graph;
        try
        {
            graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(preprocessPath)).Graph;
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new WeightsFormatException(preprocessPath, "not a readable ONNX model.", e);
        }

        if (graph is null)
        {
            throw new WeightsFormatException(preprocessPath, "not a readable ONNX model (no graph).");
        }

        var ops = graph.Node.Select(n => n.OpType).ToArray();
        if (!ops.SequenceEqual(["Split", "Concat", "Sub"]))
        {
            throw new WeightsFormatException(preprocessPath, $"expected Split, Concat, Sub; found {string.Join(", ", ops)}.");
        }

        var split = graph.Node[0];
        var concat = graph.Node[1];
        if (!concat.Input.SequenceEqual([split.Output[2], split.Output[1], split.Output[0]]))
        {
            throw new WeightsFormatException(preprocessPath, "Concat does not reverse the channels (RGB -> BGR).");
        }

        var meanName = graph.Node[2].Input[1];
        var proto = graph.Initializer.SingleOrDefault(t => t.Name == meanName)
            ?? throw new WeightsFormatException(preprocessPath, $"mean image '{meanName}' is not an initializer.");
        using var meanImage = OnnxTensors.ToTorch(proto, preprocessPath);
        if (meanImage.dim() != 4 || meanImage.shape[1] != 3)
        {
            throw new WeightsFormatException(preprocessPath, $"mean image has shape [{string.Join(", ", meanImage.shape)}], expected [1, 3, H, W].");
        }

        using var channelMeans = meanImage.mean([0L, 2L, 3L]);
        return channelMeans.data<float>().ToArray();
    }

    /// <summary>
    /// Rewrites <c>conv1.weight</c> and <c>bn1.running_mean</c> of <paramref name="state"/> in place (see remarks).
    /// </summary>
    /// <param name="state">State dict read by <see cref="ResNet18OnnxImporter.ReadStateDict"/>.</param>
    /// <param name="channelMeansBgr">Per-channel mean (BGR, 0..255) the weights were trained with.</param>
    public static void Apply(Dictionary<string, Tensor> state, float[] channelMeansBgr)
    {
        if (channelMeansBgr.Length != 3)
        {
            throw new ArgumentException("Expected three channel means (B, G, R).", nameof(channelMeansBgr));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var conv1 = state["conv1.weight"];          // [64, 3 (BGR), 7, 7]
        var runningMean = state["bn1.running_mean"]; // [64]

        // Constant the original input keeps once SanReid's normalisation is undone: 255 m_c - mean(M_k), BGR order.
        var offset = tensor(new[]
        {
            255f * Mean[2] - channelMeansBgr[0],
            255f * Mean[1] - channelMeansBgr[1],
            255f * Mean[0] - channelMeansBgr[2],
        });
        var shift = conv1.sum([2L, 3L]).matmul(offset); // [64]
        var rgbScale = tensor(new[] { 255f * Std[0], 255f * Std[1], 255f * Std[2] }).view(1, 3, 1, 1);
        var folded = conv1.flip(1).mul(rgbScale).contiguous();

        conv1.copy_(folded);
        runningMean.sub_(shift);
    }
}
