using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>
/// Look-ups over an ONNX <see cref="GraphProto"/> that the quantizer's rewrites need: the producer and consumers of
/// each tensor, the initializers by name, and float/int tensor (de)serialisation. Rebuild it after a rewrite.
/// </summary>
internal sealed class OnnxGraphIndex
{
    public OnnxGraphIndex(GraphProto graph)
    {
        Graph = graph;
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                Producers[output] = node;
            }

            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!Consumers.TryGetValue(input, out var list))
                {
                    Consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        foreach (var initializer in graph.Initializer)
        {
            Initializers[initializer.Name] = initializer;
        }

        GraphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
    }

    public GraphProto Graph { get; }

    public Dictionary<string, NodeProto> Producers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<NodeProto>> Consumers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TensorProto> Initializers { get; } = new(StringComparer.Ordinal);

    public HashSet<string> GraphOutputs { get; }

    /// <summary>Nodes that read <paramref name="tensor"/> (empty when none).</summary>
    public IReadOnlyList<NodeProto> ConsumersOf(string tensor) =>
        Consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>The single node that reads <paramref name="tensor"/>, or null when it has 0 or several readers or is a graph output.</summary>
    public NodeProto? OnlyConsumer(string tensor) =>
        !GraphOutputs.Contains(tensor) && ConsumersOf(tensor) is [var only] ? only : null;

    /// <summary>True when <paramref name="tensor"/> is an initializer (a weight), not an activation.</summary>
    public bool IsInitializer(string tensor) => Initializers.ContainsKey(tensor);

    /// <summary>The values of a float32 initializer (raw_data or float_data).</summary>
    /// <exception cref="InvalidDataException">The initializer is not float32.</exception>
    public static float[] Floats(TensorProto proto)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"Initializer '{proto.Name}' has ONNX data type {proto.DataType}; the quantizer reads float32 weights only.");
        }

        return proto.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray() : proto.FloatData.ToArray();
    }

    /// <summary>A float32 initializer.</summary>
    public static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Tensor(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    /// <summary>An int8 initializer.</summary>
    public static TensorProto Int8Tensor(string name, ReadOnlySpan<sbyte> values, params long[] dims) =>
        Tensor(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values), dims);

    /// <summary>A uint8 initializer.</summary>
    public static TensorProto UInt8Tensor(string name, ReadOnlySpan<byte> values, params long[] dims) =>
        Tensor(name, TensorProto.Types.DataType.Uint8, values, dims);

    /// <summary>An int32 initializer.</summary>
    public static TensorProto Int32Tensor(string name, ReadOnlySpan<int> values, params long[] dims) =>
        Tensor(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values), dims);

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, long[] dims)
    {
        // ONNX raw_data is little-endian; so is every platform .NET runs this on (x64, arm64).
        var proto = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(dims);
        return proto;
    }

    /// <summary>The int attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="fallback"/>.</summary>
    public static long IntAttribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>The float attribute <paramref name="name"/> of <paramref name="node"/>, or <paramref name="fallback"/>.</summary>
    public static float FloatAttribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>Removes initializers no node reads any more.</summary>
    public static void DropUnusedInitializers(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var dead in graph.Initializer.Where(i => !used.Contains(i.Name)).ToList())
        {
            graph.Initializer.Remove(dead);
        }
    }
}
