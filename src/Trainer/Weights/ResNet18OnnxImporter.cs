using Onnx;
using SanReid.Trainer.Model;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>
/// Maps every initializer of the ImageNet ResNet-18 ONNX of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK 2.6
/// export, opset 8: BatchNorm not folded, convolutions without bias, BasicBlock layers [2, 2, 2, 3]) onto torchvision
/// state_dict keys of <see cref="SaEncoder"/> with <see cref="Backbone.ResNet18"/>.
/// </summary>
/// <remarks>
/// The graph is walked structurally, not by initializer name: stem Conv -> BatchNormalization -> Relu -> MaxPool, then
/// one residual block per Add node (the branch with 2 convolutions is conv1/bn1/conv2/bn2, a 1-conv branch is
/// downsample.0/.1, a bare tensor is the identity). A block with a downsample starts a new stage (layer2..4).
/// The mapped weights expect the model's own input: BGR, 0..255, minus a per-pixel 224 x 224 mean image
/// (ResNetPreprocess.onnx); <see cref="ImageNetInputFold"/> rewrites conv1/bn1 for SanReid's RGB ImageNet mean/std.
/// </remarks>
public static class ResNet18OnnxImporter
{
    /// <summary>
    /// Reads <paramref name="onnxPath"/> and returns the state_dict it holds (conv1, bn1, layer1..layer4 keys; no
    /// num_batches_tracked, no fc), float32 CPU tensors owned by the caller.
    /// </summary>
    /// <exception cref="WeightsFormatException">The file is not an ONNX model (empty, no graph), the graph is not the expected ResNet, an initializer is left unmapped,
    /// a convolution has a bias, or a BatchNormalization epsilon differs from PyTorch's 1e-5.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string onnxPath)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or IOException)
        {
            throw new WeightsFormatException(onnxPath, "not a readable ONNX model.", e);
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new WeightsFormatException(onnxPath, $"not a readable ONNX model ({new FileInfo(onnxPath).Length} bytes, no graph).");
        }

        return new GraphWalker(model.Graph, onnxPath).Walk();
    }

    private sealed class GraphWalker(GraphProto graph, string source)
    {
        private readonly Dictionary<string, TensorProto> initializers = graph.Initializer.ToDictionary(t => t.Name);
        private readonly Dictionary<string, NodeProto> producers = graph.Node
            .SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        private readonly Dictionary<string, Tensor> state = new();
        private readonly HashSet<string> used = new();

        public Dictionary<string, Tensor> Walk()
        {
            try
            {
                WalkGraph();
            }
            catch
            {
                foreach (var t in state.Values)
                {
                    t.Dispose();
                }

                throw;
            }

            return state;
        }

        private void WalkGraph()
        {
            var input = graph.Input.Select(i => i.Name).Where(n => !initializers.ContainsKey(n)).ToList();
            if (input.Count != 1)
            {
                throw Fail($"expected one image input, found {input.Count}.");
            }

            var stemConv = Single(Consumers(input[0]), "Conv", "the stem convolution");
            var stemBn = Single(Consumers(stemConv.Output[0]), "BatchNormalization", "bn1");
            var stemRelu = Single(Consumers(stemBn.Output[0]), "Relu", "the stem ReLU");
            var maxPool = Single(Consumers(stemRelu.Output[0]), "MaxPool", "the max pool");
            MapConv(stemConv, "conv1");
            MapBatchNorm(stemBn, "bn1");

            string blockInput = maxPool.Output[0];
            int stage = 1, blockInStage = 0, blockIndex = 0;
            foreach (var add in graph.Node.Where(n => n.OpType == "Add"))
            {
                var a = Trace(add.Input[0], blockInput);
                var b = Trace(add.Input[1], blockInput);
                var (main, shortcut) = a.Count >= b.Count ? (a, b) : (b, a);
                if (main.Count != 4 || (shortcut.Count != 0 && shortcut.Count != 2))
                {
                    throw Fail($"residual block {blockIndex} ({add.Name}) is not a BasicBlock: branches of {a.Count / 2} and {b.Count / 2} convolutions.");
                }

                if (shortcut.Count == 2 && blockIndex > 0)
                {
                    stage++;
                    blockInStage = 0;
                }

                if (stage > 4)
                {
                    throw Fail("more than four stages of residual blocks.");
                }

                string prefix = $"layer{stage}.{blockInStage}";
                MapConv(main[0], $"{prefix}.conv1");
                MapBatchNorm(main[1], $"{prefix}.bn1");
                MapConv(main[2], $"{prefix}.conv2");
                MapBatchNorm(main[3], $"{prefix}.bn2");
                if (shortcut.Count == 2)
                {
                    MapConv(shortcut[0], $"{prefix}.downsample.0");
                    MapBatchNorm(shortcut[1], $"{prefix}.downsample.1");
                }

                blockInput = Single(Consumers(add.Output[0]), "Relu", $"the ReLU after {add.Name}").Output[0];
                blockInStage++;
                blockIndex++;
            }

            if (stage != 4)
            {
                throw Fail($"found {stage} stages of residual blocks, expected 4.");
            }

            var unmapped = initializers.Keys.Where(k => !used.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (unmapped.Count > 0)
            {
                throw Fail($"{unmapped.Count} initializer(s) not mapped onto the ResNet: {string.Join(", ", unmapped)}.");
            }
        }

        // Walks back from tensor to blockInput through Conv/BatchNormalization/Relu; returns the Conv and BN nodes in order.
        private List<NodeProto> Trace(string tensorName, string blockInput)
        {
            var chain = new List<NodeProto>();
            string current = tensorName;
            while (current != blockInput)
            {
                if (!producers.TryGetValue(current, out var node) || chain.Count > 16)
                {
                    throw Fail($"tensor '{tensorName}' does not lead back to the block input '{blockInput}'.");
                }

                switch (node.OpType)
                {
                    case "Conv":
                    case "BatchNormalization":
                        chain.Add(node);
                        break;
                    case "Relu":
                        break;
                    default:
                        throw Fail($"unexpected {node.OpType} node '{node.Name}' inside a residual block.");
                }

                current = node.Input[0];
            }

            chain.Reverse();
            for (int i = 0; i < chain.Count; i++)
            {
                if (chain[i].OpType != (i % 2 == 0 ? "Conv" : "BatchNormalization"))
                {
                    throw Fail($"residual branch ending in '{tensorName}' is not a Conv/BatchNormalization sequence.");
                }
            }

            return chain;
        }

        private void MapConv(NodeProto conv, string key)
        {
            if (conv.Input.Count > 2 && !string.IsNullOrEmpty(conv.Input[2]))
            {
                throw Fail($"convolution '{conv.Name}' has a bias; torchvision's ResNet convolutions have none.");
            }

            foreach (var attribute in conv.Attribute)
            {
                bool unsupported = attribute.Name switch
                {
                    "group" => attribute.I != 1,
                    "dilations" => attribute.Ints.Any(d => d != 1),
                    _ => false,
                };
                if (unsupported)
                {
                    throw Fail($"convolution '{conv.Name}' uses {attribute.Name} other than 1.");
                }
            }

            Take(conv.Input[1], $"{key}.weight");
        }

        private void MapBatchNorm(NodeProto bn, string key)
        {
            var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            if (Math.Abs(epsilon - 1e-5f) > 1e-9f)
            {
                throw Fail($"BatchNormalization '{bn.Name}' has epsilon {epsilon}; PyTorch's BatchNorm2d uses 1e-5.");
            }

            Take(bn.Input[1], $"{key}.weight");
            Take(bn.Input[2], $"{key}.bias");
            Take(bn.Input[3], $"{key}.running_mean");
            Take(bn.Input[4], $"{key}.running_var");
        }

        private void Take(string initializer, string key)
        {
            if (!initializers.TryGetValue(initializer, out var proto))
            {
                throw Fail($"'{initializer}' (for {key}) is not an initializer.");
            }

            if (!used.Add(initializer))
            {
                throw Fail($"initializer '{initializer}' is used twice (second time for {key}).");
            }

            state.Add(key, OnnxTensors.ToTorch(proto, source));
        }

        private List<NodeProto> Consumers(string tensorName) => graph.Node.Where(n => n.Input.Contains(tensorName)).ToList();

        private NodeProto Single(List<NodeProto> nodes, string opType, string what) =>
            nodes.Count == 1 && nodes[0].OpType == opType
                ? nodes[0]
                : throw Fail($"expected {what} ({opType}), found [{string.Join(", ", nodes.Select(n => n.OpType))}].");

        private WeightsFormatException Fail(string message) => new(source, message);
    }
}
