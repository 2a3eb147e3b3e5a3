using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SanReid.Trainer.Export;

namespace SanReid.Trainer.Inference;

/// <summary>
/// Embeds uint8 crops with an exported model on ONNX Runtime's CPU provider. One session for the life of the object
/// (Run is thread-safe); dispose it to free the session.
/// </summary>
public sealed class OnnxEmbedder : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>Loads <paramref name="modelPath"/> (an ONNX file following <see cref="EmbeddingContract"/>).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a loadable ONNX model, or its input or output does not
    /// follow the contract (input <c>images</c> uint8 [N, H, W, 3] with fixed H and W, output <c>embeddings</c>
    /// float32 [N, D]); the message names the file and the contract.</exception>
    public OnnxEmbedder(string modelPath)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model file '{modelPath}' not found.", modelPath);
        }

        try
        {
            session = new InferenceSession(modelPath);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{modelPath}: not a loadable ONNX model ({e.Message.ReplaceLineEndings(" ")}).", e);
        }

        var problem = ContractProblem(session);
        if (problem is not null)
        {
            session.Dispose();
            throw new InvalidDataException($"{modelPath}: {problem}; the model contract is {Contract}.");
        }

        Dimension = session.OutputMetadata[EmbeddingContract.OutputName].Dimensions[^1];
        var inputDims = session.InputMetadata[EmbeddingContract.InputName].Dimensions;
        Height = inputDims[1];
        Width = inputDims[2];
        Metadata = session.ModelMetadata.CustomMetadataMap;
    }

    /// <summary>One line stating the input/output contract the model must follow.</summary>
    public static string Contract =>
        $"input '{EmbeddingContract.InputName}' uint8 [N, H, W, 3] RGB (H x W fixed, {EmbeddingContract.Height} x {EmbeddingContract.Width} by default), " +
        $"output '{EmbeddingContract.OutputName}' float32 [N, D] L2-normalised";

    /// <summary>Embedding width D.</summary>
    public int Dimension { get; }

    /// <summary>Input height H in pixels, from the graph's input shape.</summary>
    public int Height { get; }

    /// <summary>Input width W in pixels, from the graph's input shape.</summary>
    public int Width { get; }

    /// <summary>Bytes of one crop, H x W x 3.</summary>
    public int CropBytes => Height * Width * 3;

    /// <summary>The model's metadata_props (the model card).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>count crops (count x H x W x 3 RGB bytes) -> count x D floats, rows L2-normalised by the graph.</summary>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    public float[] Embed(byte[] crops, int count)
    {
        if (crops.Length != count * CropBytes)
        {
            throw new ArgumentException($"Expected {count} crops of {Height}x{Width}x3 = {CropBytes} bytes, got {crops.Length} bytes.", nameof(crops));
        }

        using var input = OrtValue.CreateTensorValueFromMemory(crops, [count, Height, Width, 3L]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [EmbeddingContract.InputName], [input], [EmbeddingContract.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    // What makes the session's model break the contract, or null when it follows it.
    private static string? ContractProblem(InferenceSession session)
    {
        if (!session.InputMetadata.TryGetValue(EmbeddingContract.InputName, out var input) || session.InputMetadata.Count != 1)
        {
            return $"inputs are [{string.Join(", ", session.InputMetadata.Keys)}], expected only '{EmbeddingContract.InputName}'";
        }

        if (!session.OutputMetadata.TryGetValue(EmbeddingContract.OutputName, out var output))
        {
            return $"outputs are [{string.Join(", ", session.OutputMetadata.Keys)}], no '{EmbeddingContract.OutputName}'";
        }

        // H and W must be fixed in the graph: crops are resized to them before the run.
        bool inputFits = input.IsTensor && input.ElementDataType == TensorElementType.UInt8 && input.Dimensions.Length == 4 &&
                         input.Dimensions[1] > 0 && input.Dimensions[2] > 0 && input.Dimensions[3] == 3;
        if (!inputFits)
        {
            return $"input '{EmbeddingContract.InputName}' is {Describe(input)}";
        }

        bool outputFits = output.IsTensor && output.ElementDataType == TensorElementType.Float && output.Dimensions.Length == 2 &&
                          output.Dimensions[1] > 0;
        return outputFits ? null : $"output '{EmbeddingContract.OutputName}' is {Describe(output)}";
    }

    private static string Describe(NodeMetadata node) =>
        node.IsTensor
            ? $"{node.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(", ", node.Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]"
            : $"a {node.OnnxValueType}";

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
