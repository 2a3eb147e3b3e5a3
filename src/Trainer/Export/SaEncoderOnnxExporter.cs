using Onnx;
using SanReid.Inference;
using SanReid.Trainer.Model;
using SanReid.Trainer.Weights;
using static SanReid.Trainer.Export.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace SanReid.Trainer.Export;

/// <summary>
/// Writes an eval-mode <see cref="SaEncoder"/> as an ONNX graph (opset 17) that follows <see cref="EmbeddingContract"/>:
/// Cast, Transpose NHWC -> NCHW, /255, ImageNet mean/std, the ResNet with BatchNormalization nodes using the running
/// statistics, GlobalAveragePool, the neck (Gemm, BatchNormalization, Relu), and L2 normalisation
/// (x / max(||x||_2, 1e-12), as torch.nn.functional.normalize). TorchSharp has no ONNX export; this writes the
/// protobuf directly. The classifier is not exported.
/// </summary>
/// <remarks>With <see cref="ModelCard.FlipTta"/> the graph also mirrors the normalised batch along W (Gather with indices
/// W-1..0 on axis 3), runs crops and mirrors as one batch of 2N (Concat on axis 0; eval-mode BatchNorm keeps rows
/// independent), takes the mean of each crop's and its mirror's neck feature (Reshape [2, N, 512], ReduceMean over axis
/// 0) and L2-normalises that: the flip test-time augmentation of <c>eval --flip</c>
/// (<see cref="Training.FeatureExtractor"/>, which sums the two features; the normalised result is the same).</remarks>
public static class SaEncoderOnnxExporter
{
    private const float BatchNormEpsilon = 1e-5f;

    /// <summary>Builds the ONNX model in memory.</summary>
    /// <param name="encoder">The encoder; must be in eval mode.</param>
    /// <param name="card">Facts written as metadata_props; its <see cref="ModelCard.InputHeight"/> x
    /// <see cref="ModelCard.InputWidth"/> is the graph's input size.</param>
    /// <exception cref="InvalidOperationException">The encoder is in training mode (its BatchNorm would depend on the batch).</exception>
    /// <exception cref="ArgumentException">The card's input size is not supported (<see cref="EmbeddingContract.SizeProblem"/>).</exception>
    public static ModelProto Build(SaEncoder encoder, ModelCard card)
    {
        if (encoder.training)
        {
            throw new InvalidOperationException(
                "Refusing to export an SA-Enc in training mode: BatchNorm would use batch statistics. Call eval() first.");
        }

        if (EmbeddingContract.SizeProblem(card.InputHeight, card.InputWidth) is { } problem)
        {
            throw new ArgumentException(problem + ".", nameof(card));
        }

        var state = encoder.state_dict();
        var used = new HashSet<string>();
        var g = new OnnxGraphBuilder();
        g.Graph.Name = $"sanreid-saenc-{encoder.Backbone.Name()}";
        g.Graph.Input.Add(TensorInfo(EmbeddingContract.InputName, TensorProto.Types.DataType.Uint8, "N", card.InputHeight, card.InputWidth, 3));
        g.Graph.Output.Add(TensorInfo(EmbeddingContract.OutputName, TensorProto.Types.DataType.Float, "N", SaEncoder.EmbeddingSize));

        // Preprocessing inside the graph.
        var x = g.Node("Cast", "preprocess.cast", [EmbeddingContract.InputName], Int("to", (long)TensorProto.Types.DataType.Float));
        x = g.Node("Transpose", "preprocess.nchw", [x], Ints("perm", 0, 3, 1, 2));
        x = g.Node("Div", "preprocess.scale", [x, g.Initializer("preprocess.255", [255f])]);
        x = g.Node("Sub", "preprocess.mean", [x, g.Initializer("preprocess.imagenet_mean", ImageNetInputFold.Mean, 1, 3, 1, 1)]);
        x = g.Node("Div", "preprocess.std", [x, g.Initializer("preprocess.imagenet_std", ImageNetInputFold.Std, 1, 3, 1, 1)]);
        if (card.FlipTta)
        {
            long[] reversed = [.. Enumerable.Range(0, card.InputWidth).Select(i => (long)(card.InputWidth - 1 - i))];
            var mirror = g.Node("Gather", "flip.mirror", [x, g.Int64Initializer("flip.columns", reversed, card.InputWidth)], Int("axis", 3));
            x = g.Node("Concat", "flip.concat", [x, mirror], Int("axis", 0)); // [2N, 3, H, W]: crops, then their mirrors
        }


        // Stem.
        x = Conv(g, state, used, "conv1", x, stride: 2);
        x = BatchNorm(g, state, used, "bn1", x);
        x = g.Node("Relu", "relu", [x]);
        x = g.Node("MaxPool", "maxpool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));

        // Residual stages: stride 2 at the first block of layer2/3, LastStride at layer4 (1 for SAN).
        var layers = encoder.Backbone.Layers();
        bool bottleneck = encoder.Backbone == Backbone.ResNet50;
        for (int stage = 1; stage <= 4; stage++)
        {
            for (int block = 0; block < layers[stage - 1]; block++)
            {
                int stride = block > 0 || stage == 1 ? 1 : stage == 4 ? encoder.LastStride : 2;
                string p = $"layer{stage}.{block}";
                string identity = x;
                string y = x;
                int convs = bottleneck ? 3 : 2;
                for (int i = 1; i <= convs; i++)
                {
                    // The stride sits on the 3x3 conv: conv1 of a BasicBlock, conv2 of a Bottleneck (torchvision v1.5).
                    int convStride = (bottleneck ? i == 2 : i == 1) ? stride : 1;
                    y = Conv(g, state, used, $"{p}.conv{i}", y, convStride);
                    y = BatchNorm(g, state, used, $"{p}.bn{i}", y);
                    if (i < convs)
                    {
                        y = g.Node("Relu", $"{p}.relu{i}", [y]);
                    }
                }

                if (state.ContainsKey($"{p}.downsample.0.weight"))
                {
                    identity = Conv(g, state, used, $"{p}.downsample.0", x, stride);
                    identity = BatchNorm(g, state, used, $"{p}.downsample.1", identity);
                }

                y = g.Node("Add", $"{p}.add", [y, identity]);
                x = g.Node("Relu", $"{p}.relu", [y]);
            }
        }

        // Pooling, neck, L2 normalisation.
        x = g.Node("GlobalAveragePool", "global_avgpool", [x]);
        x = g.Node("Flatten", "flatten", [x], Int("axis", 1));
        x = g.Node("Gemm", "fc.0", [x, Weight(g, state, used, "fc.0.weight"), Weight(g, state, used, "fc.0.bias")], Int("transB", 1));
        x = BatchNorm(g, state, used, "fc.1", x);
        x = g.Node("Relu", "fc.2", [x]);
        if (card.FlipTta)
        {
            // [2N, 512] -> [2, N, 512] -> mean over crop and mirror -> [N, 512].
            x = g.Node("Reshape", "flip.split", [x, g.Int64Initializer("flip.shape", [2L, -1L, SaEncoder.EmbeddingSize], 3)]);
            x = g.Node("ReduceMean", "flip.mean", [x], Ints("axes", 0), Int("keepdims", 0));
        }

        var norm = g.Node("ReduceL2", "l2norm.norm", [x], Ints("axes", 1), Int("keepdims", 1));
        norm = g.Node("Max", "l2norm.clamp", [norm, g.Initializer("l2norm.eps", [EmbeddingContract.NormEpsilon])]);
        g.Node("Div", "l2norm.div", [x, norm]);
        g.Graph.Node[^1].Output[0] = EmbeddingContract.OutputName; // the last node writes the contract's output

        var leftOver = state.Keys.Where(k => !used.Contains(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                                             && !k.StartsWith("classifier.", StringComparison.Ordinal)).ToList();
        if (leftOver.Count > 0)
        {
            throw new InvalidOperationException($"Exporter left {leftOver.Count} tensor(s) of the SA-Enc out of the graph: {string.Join(", ", leftOver)}.");
        }

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "sanreid-train",
            ProducerVersion = typeof(SaEncoderOnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            DocString = card.Notice,
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = EmbeddingContract.Opset });
        foreach (var (key, value) in card.ToMetadata())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    private static string Conv(OnnxGraphBuilder g, IDictionary<string, Tensor> state, HashSet<string> used, string key, string input, int stride)
    {
        var weightShape = state[$"{key}.weight"].shape;
        long k = weightShape[2];
        long pad = k / 2;
        return g.Node("Conv", key, [input, Weight(g, state, used, $"{key}.weight")],
            Ints("kernel_shape", k, weightShape[3]), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad));
    }

    private static string BatchNorm(OnnxGraphBuilder g, IDictionary<string, Tensor> state, HashSet<string> used, string key, string input) =>
        g.Node("BatchNormalization", key,
            [input, Weight(g, state, used, $"{key}.weight"), Weight(g, state, used, $"{key}.bias"),
             Weight(g, state, used, $"{key}.running_mean"), Weight(g, state, used, $"{key}.running_var")],
            Float("epsilon", BatchNormEpsilon));

    private static string Weight(OnnxGraphBuilder g, IDictionary<string, Tensor> state, HashSet<string> used, string key)
    {
        if (!state.TryGetValue(key, out var value))
        {
            throw new InvalidOperationException($"SA-Enc has no tensor '{key}'.");
        }

        used.Add(key);
        using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return g.Initializer(key, cpu.data<float>().ToArray(), value.shape);
    }
}
