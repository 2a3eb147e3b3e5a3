using Onnx;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>
/// What the QDQ rewrite quantizes in a (BatchNorm-folded) float graph: the activation tensors that get a
/// QuantizeLinear/DequantizeLinear pair, the ReLUs folded into them, and the Conv/Gemm nodes whose weights become int8.
/// </summary>
/// <remarks>
/// Rules: every Conv and Gemm with an initializer weight is quantized (its activation input gets a Q/DQ pair; a
/// Conv's output too, so ONNX Runtime fuses DQ -> Conv -> Q into QLinearConv; a Gemm's output stays float, which keeps
/// the embedding before the L2 normalisation in float). Residual Adds of two activations are quantized on both
/// inputs and the output (QLinearAdd); MaxPool's output shares its input's parameters (ONNX Runtime then runs it on
/// uint8). A ReLU that is the only reader of a quantized Conv or Add output is removed: QuantizeLinear with a uint8
/// zero point of 0 clamps negatives to 0, which is the ReLU (as ONNX Runtime's QDQ ReluQuantFusion). Everything else
/// (preprocessing, GlobalAveragePool, Flatten, the neck ReLU, the L2 normalisation) stays float. Graph outputs are
/// never quantized.
/// </remarks>
public sealed class QdqPlan
{
    private QdqPlan(IReadOnlyList<string> activations, IReadOnlyDictionary<string, string> fusedRelu,
        IReadOnlyDictionary<string, string> sharedWith, IReadOnlyList<string> weightNodes, int adds)
    {
        Activations = activations;
        FusedRelu = fusedRelu;
        SharedWith = sharedWith;
        WeightNodes = weightNodes;
        Adds = adds;
    }

    /// <summary>Tensors (names in the float graph) that get a Q/DQ pair, in graph order.</summary>
    public IReadOnlyList<string> Activations { get; }

    /// <summary>Removed ReLUs: ReLU output -> the tensor it read (the Q/DQ pair reads that tensor instead).</summary>
    public IReadOnlyDictionary<string, string> FusedRelu { get; }

    /// <summary>Tensors that reuse another's parameters (MaxPool output -> its input).</summary>
    public IReadOnlyDictionary<string, string> SharedWith { get; }

    /// <summary>Names of the Conv and Gemm nodes whose weights become int8.</summary>
    public IReadOnlyList<string> WeightNodes { get; }

    /// <summary>Quantized residual Adds.</summary>
    public int Adds { get; }

    /// <summary>Tensors whose range must be calibrated (<see cref="Activations"/> without the shared ones).</summary>
    public IEnumerable<string> CalibratedTensors => Activations.Where(a => !SharedWith.ContainsKey(a));

    /// <summary>Plans the quantization of <paramref name="graph"/> (not modified).</summary>
    /// <param name="graph">A BatchNorm-folded float graph.</param>
    /// <param name="floatNodes">Names of Conv / Gemm nodes to leave in float (weights and activation input), or null.</param>
    /// <exception cref="InvalidDataException">Nothing to quantize, or a name in <paramref name="floatNodes"/> is no Conv or Gemm of the graph.</exception>
    public static QdqPlan For(GraphProto graph, IReadOnlySet<string>? floatNodes = null)
    {
        floatNodes ??= new HashSet<string>();
        var unknown = floatNodes.Where(n => !graph.Node.Any(x => x.Name == n && x.OpType is "Conv" or "Gemm")).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException($"No Conv or Gemm node named {string.Join(", ", unknown.Select(u => $"'{u}'"))} in the graph.");
        }

        var index = new OnnxGraphIndex(graph);
        var activations = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fusedRelu = new Dictionary<string, string>(StringComparer.Ordinal);
        var shared = new Dictionary<string, string>(StringComparer.Ordinal);
        var weightNodes = new List<string>();
        int adds = 0;

        void Quantize(string tensor)
        {
            if (!index.GraphOutputs.Contains(tensor) && !index.IsInitializer(tensor) && seen.Add(tensor))
            {
                activations.Add(tensor);
            }
        }

        // The tensor that carries a node's quantized output: the ReLU's output when a lone ReLU follows.
        string Output(string tensor)
        {
            if (index.OnlyConsumer(tensor) is { OpType: "Relu" } relu && !index.GraphOutputs.Contains(relu.Output[0]))
            {
                fusedRelu[relu.Output[0]] = tensor;
                return relu.Output[0];
            }

            return tensor;
        }

        foreach (var node in graph.Node)
        {
            switch (node.OpType)
            {
                case "Conv" or "Gemm" when floatNodes.Contains(node.Name):
                    break;
                case "Conv" when node.Input.Count >= 2 && index.IsInitializer(node.Input[1]):
                    Quantize(node.Input[0]);
                    Quantize(Output(node.Output[0]));
                    weightNodes.Add(node.Name);
                    break;
                case "Gemm" when node.Input.Count >= 2 && index.IsInitializer(node.Input[1])
                                 && OnnxGraphIndex.IntAttribute(node, "transA", 0) == 0
                                 && OnnxGraphIndex.FloatAttribute(node, "alpha", 1f) == 1f && OnnxGraphIndex.FloatAttribute(node, "beta", 1f) == 1f:
                    Quantize(node.Input[0]);
                    weightNodes.Add(node.Name);
                    break;
                case "Add" when node.Input.Count == 2 && !index.IsInitializer(node.Input[0]) && !index.IsInitializer(node.Input[1]):
                    Quantize(node.Input[0]);
                    Quantize(node.Input[1]);
                    Quantize(Output(node.Output[0]));
                    adds++;
                    break;
                case "MaxPool" when node.Output.Count == 1:
                    Quantize(node.Input[0]);
                    Quantize(node.Output[0]);
                    shared[node.Output[0]] = node.Input[0];
                    break;
            }
        }

        if (weightNodes.Count == 0)
        {
            throw new InvalidDataException("The graph has no Conv or Gemm with initializer weights: nothing to quantize.");
        }

        return new QdqPlan(activations, fusedRelu, shared, weightNodes, adds);
    }
}
