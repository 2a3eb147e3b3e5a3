using Onnx;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>
/// Folds each inference-mode BatchNormalization into the Conv or Gemm that feeds it, so that the int8 weights are
/// quantized per output channel from the weights the network really applies:
/// f_c = gamma_c / sqrt(var_c + eps), W'_c = f_c W_c, b'_c = f_c (b_c - mean_c) + beta_c
/// (Jacob et al., "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference",
/// CVPR 2018, section 3.2). ONNX Runtime does the same fold for fp32 at load, so the float function is unchanged
/// (up to float rounding, about 1e-7 relative).
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Folds in place; returns how many BatchNormalization nodes were folded. A BatchNormalization whose
    /// input has other readers, or comes from anything but a Conv / Gemm with initializer weights, is left as it is.</summary>
    /// <exception cref="InvalidDataException">A BatchNormalization or weight initializer is not float32, or shapes disagree.</exception>
    public static int Fold(GraphProto graph)
    {
        int folded = 0;
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            var index = new OnnxGraphIndex(graph);
            if (bn.Input.Count < 5 || bn.Output.Count != 1 || !index.Producers.TryGetValue(bn.Input[0], out var producer)
                || index.OnlyConsumer(bn.Input[0]) != bn || bn.Input.Skip(1).Any(i => !index.IsInitializer(i)))
            {
                continue;
            }

            if (producer.OpType == "Conv" && index.IsInitializer(producer.Input[1]))
            {
                FoldInto(graph, index, producer, bn, gemmTransB: null);
            }
            else if (producer.OpType == "Gemm" && index.IsInitializer(producer.Input[1])
                     && OnnxGraphIndex.FloatAttribute(producer, "alpha", 1f) == 1f && OnnxGraphIndex.FloatAttribute(producer, "beta", 1f) == 1f
                     && OnnxGraphIndex.IntAttribute(producer, "transA", 0) == 0)
            {
                FoldInto(graph, index, producer, bn, gemmTransB: OnnxGraphIndex.IntAttribute(producer, "transB", 0) == 1);
            }
            else
            {
                continue;
            }

            folded++;
        }

        OnnxGraphIndex.DropUnusedInitializers(graph);
        return folded;
    }

    // gemmTransB: null for Conv (W [Cout, ...]), true for Gemm with W [out, in], false for Gemm with W [in, out].
    private static void FoldInto(GraphProto graph, OnnxGraphIndex index, NodeProto producer, NodeProto bn, bool? gemmTransB)
    {
        var weightProto = index.Initializers[producer.Input[1]];
        float[] w = OnnxGraphIndex.Floats(weightProto);
        float[] gamma = OnnxGraphIndex.Floats(index.Initializers[bn.Input[1]]);
        float[] beta = OnnxGraphIndex.Floats(index.Initializers[bn.Input[2]]);
        float[] mean = OnnxGraphIndex.Floats(index.Initializers[bn.Input[3]]);
        float[] variance = OnnxGraphIndex.Floats(index.Initializers[bn.Input[4]]);
        float epsilon = OnnxGraphIndex.FloatAttribute(bn, "epsilon", 1e-5f);
        long[] dims = weightProto.Dims.ToArray();
        int channels = (int)(gemmTransB == false ? dims[1] : dims[0]);
        if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
        {
            throw new InvalidDataException($"BatchNormalization '{bn.Name}' has {gamma.Length} channels; '{producer.Name}' produces {channels}.");
        }

        float[] bias = producer.Input.Count > 2 && producer.Input[2].Length > 0
            ? OnnxGraphIndex.Floats(index.Initializers[producer.Input[2]])
            : new float[channels];
        var factor = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            factor[c] = (float)(gamma[c] / Math.Sqrt((double)variance[c] + epsilon));
            bias[c] = (float)((double)factor[c] * (bias[c] - mean[c]) + beta[c]);
        }

        if (gemmTransB == false)
        {
            for (int i = 0; i < w.Length; i++)
            {
                w[i] *= factor[i % channels]; // W [in, out]: the channel is the column
            }
        }
        else
        {
            int perChannel = w.Length / channels;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] *= factor[i / perChannel];
            }
        }

        string weightName = producer.Name + ".weight_bn_folded";
        string biasName = producer.Name + ".bias_bn_folded";
        graph.Initializer.Add(OnnxGraphIndex.FloatTensor(weightName, w, dims));
        graph.Initializer.Add(OnnxGraphIndex.FloatTensor(biasName, bias, channels));
        producer.Input[1] = weightName;
        if (producer.Input.Count > 2)
        {
            producer.Input[2] = biasName;
        }
        else
        {
            producer.Input.Add(biasName);
        }

        producer.Output[0] = bn.Output[0];
        graph.Node.Remove(bn);
    }
}
