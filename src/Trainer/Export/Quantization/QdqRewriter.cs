using Onnx;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>
/// Rewrites a BatchNorm-folded float graph into the QDQ format by <see cref="QdqPlan"/>: each planned activation gets
/// QuantizeLinear -> DequantizeLinear (uint8, per tensor, parameters from its calibrated range); each planned Conv /
/// Gemm reads DequantizeLinear(int8 weights, per-channel scales, axis = output channel) and, for its bias,
/// DequantizeLinear(int32, s_x s_w, axis 0). The graph stays a float graph in meaning (every quantized value is
/// dequantized before use), which ONNX Runtime's CPU provider turns into QLinearConv / QLinearAdd / QGemm kernels at
/// load. Per-axis DequantizeLinear needs opset 13 or later.
/// </summary>
public static class QdqRewriter
{
    /// <summary>Lowest opset with per-axis (per-channel) QuantizeLinear / DequantizeLinear.</summary>
    public const int MinOpset = 13;

    /// <summary>Rewrites <paramref name="graph"/> in place.</summary>
    /// <param name="graph">A float graph, BatchNorm folded (<see cref="BatchNormFolding"/>), that <paramref name="plan"/> was made for.</param>
    /// <param name="plan">What to quantize.</param>
    /// <param name="ranges">The calibrated range of every tensor in <see cref="QdqPlan.CalibratedTensors"/>.</param>
    /// <exception cref="KeyNotFoundException">A planned tensor has no range.</exception>
    /// <exception cref="InvalidDataException">A weight is not float32.</exception>
    public static void Rewrite(GraphProto graph, QdqPlan plan, IReadOnlyDictionary<string, ActivationRange> ranges)
    {
        var index = new OnnxGraphIndex(graph);
        var parameters = new Dictionary<string, AffineQuantization>(StringComparer.Ordinal);
        foreach (var tensor in plan.Activations)
        {
            string owner = tensor;
            while (plan.SharedWith.TryGetValue(owner, out var next))
            {
                owner = next;
            }

            if (!ranges.TryGetValue(owner, out var range))
            {
                throw new KeyNotFoundException($"No calibrated range for tensor '{owner}'.");
            }

            parameters[tensor] = QuantizationParameters.Activation(range);
        }

        // Q/DQ pairs, placed right after the node that computes their source so the node list stays topologically sorted.
        var pairsAfter = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tensor in plan.Activations)
        {
            var p = parameters[tensor];
            string source = plan.FusedRelu.TryGetValue(tensor, out var preRelu) ? preRelu : tensor;
            string scale = tensor + ".scale", zeroPoint = tensor + ".zero_point";
            graph.Initializer.Add(OnnxGraphIndex.FloatTensor(scale, [p.Scale]));
            graph.Initializer.Add(OnnxGraphIndex.UInt8Tensor(zeroPoint, [p.ZeroPoint]));
            var q = Node("QuantizeLinear", tensor + ".quantize", [source, scale, zeroPoint], tensor + ".quantized");
            var dq = Node("DequantizeLinear", tensor + ".dequantize", [q.Output[0], scale, zeroPoint], tensor + ".dequantized");
            string producer = index.Producers.TryGetValue(source, out var node) ? node.Name : "";
            if (!pairsAfter.TryGetValue(producer, out var list))
            {
                pairsAfter[producer] = list = [];
            }

            list.Add(q);
            list.Add(dq);
            renamed[tensor] = dq.Output[0];
        }

        var weightDq = new List<NodeProto>();
        foreach (var node in graph.Node.Where(n => plan.WeightNodes.Contains(n.Name)))
        {
            var x = parameters[node.Input[0]];
            QuantizeWeights(graph, index, node, x.Scale, weightDq);
        }

        var fusedReluNodes = graph.Node.Where(n => n.OpType == "Relu" && plan.FusedRelu.ContainsKey(n.Output[0])).ToHashSet();
        var ordered = new List<NodeProto>(weightDq);
        if (pairsAfter.TryGetValue("", out var fromInputs))
        {
            ordered.AddRange(fromInputs);
        }

        foreach (var node in graph.Node)
        {
            if (fusedReluNodes.Contains(node))
            {
                continue;
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                if (renamed.TryGetValue(node.Input[i], out var dequantized))
                {
                    node.Input[i] = dequantized;
                }
            }

            ordered.Add(node);
            if (pairsAfter.TryGetValue(node.Name, out var pairs))
            {
                ordered.AddRange(pairs);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(ordered);
        OnnxGraphIndex.DropUnusedInitializers(graph);
    }

    private static void QuantizeWeights(GraphProto graph, OnnxGraphIndex index, NodeProto node, float inputScale, List<NodeProto> dequantizers)
    {
        var weight = index.Initializers[node.Input[1]];
        float[] w = OnnxGraphIndex.Floats(weight);
        long[] dims = weight.Dims.ToArray();
        // Output channel: Conv W [Cout, Cin/g, kh, kw] and Gemm transB=1 W [out, in] -> axis 0; Gemm transB=0 W [in, out] -> axis 1.
        bool columns = node.OpType == "Gemm" && OnnxGraphIndex.IntAttribute(node, "transB", 0) == 0;
        int axis = columns ? 1 : 0;
        int channels = (int)dims[axis];
        int perChannel = w.Length / channels;
        var (values, scales) = QuantizationParameters.Weights(w, channels, columns ? i => i % channels : i => i / perChannel);

        string prefix = node.Name + ".weight";
        graph.Initializer.Add(OnnxGraphIndex.Int8Tensor(prefix + "_quantized", values, dims));
        graph.Initializer.Add(OnnxGraphIndex.FloatTensor(prefix + "_scale", scales, channels));
        graph.Initializer.Add(OnnxGraphIndex.Int8Tensor(prefix + "_zero_point", new sbyte[channels], channels));
        var dq = Node("DequantizeLinear", prefix + ".dequantize", [prefix + "_quantized", prefix + "_scale", prefix + "_zero_point"], prefix + "_dequantized");
        dq.Attribute.Add(OnnxGraphBuilder.Int("axis", axis));
        dequantizers.Add(dq);
        node.Input[1] = dq.Output[0];

        if (node.Input.Count > 2 && node.Input[2].Length > 0 && index.Initializers.TryGetValue(node.Input[2], out var biasProto))
        {
            float[] bias = OnnxGraphIndex.Floats(biasProto);
            var biasScales = new float[channels];
            var biasValues = new int[channels];
            for (int c = 0; c < channels; c++)
            {
                biasScales[c] = inputScale * scales[c];
                biasValues[c] = (int)Math.Clamp(Math.Round(bias[c] / (double)biasScales[c]), int.MinValue, int.MaxValue);
            }

            string b = node.Name + ".bias";
            graph.Initializer.Add(OnnxGraphIndex.Int32Tensor(b + "_quantized", biasValues, channels));
            graph.Initializer.Add(OnnxGraphIndex.FloatTensor(b + "_scale", biasScales, channels));
            graph.Initializer.Add(OnnxGraphIndex.Int32Tensor(b + "_zero_point", new int[channels], channels));
            var bdq = Node("DequantizeLinear", b + ".dequantize", [b + "_quantized", b + "_scale", b + "_zero_point"], b + "_dequantized");
            bdq.Attribute.Add(OnnxGraphBuilder.Int("axis", 0));
            dequantizers.Add(bdq);
            node.Input[2] = bdq.Output[0];
        }
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
