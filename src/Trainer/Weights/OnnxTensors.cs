using System.Runtime.InteropServices;
using Onnx;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>Conversions between ONNX <see cref="TensorProto"/> initializers and TorchSharp tensors (float32 only).</summary>
internal static class OnnxTensors
{
    /// <summary>A float32 initializer as a CPU tensor of the same shape (raw_data or float_data).</summary>
    /// <exception cref="WeightsFormatException">Not float32, or the element count disagrees with the dims.</exception>
    public static Tensor ToTorch(TensorProto proto, string source)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new WeightsFormatException(source, $"initializer '{proto.Name}' has data type {proto.DataType}; only float32 is supported.");
        }

        float[] values = proto.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray()
            : proto.FloatData.ToArray();
        long[] dims = proto.Dims.ToArray();
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (values.Length != expected)
        {
            throw new WeightsFormatException(source, $"initializer '{proto.Name}' holds {values.Length} values for dims [{string.Join(", ", dims)}].");
        }

        return tensor(values, dims, dtype: ScalarType.Float32);
    }
}
