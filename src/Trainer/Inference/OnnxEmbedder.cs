using Microsoft.ML.OnnxRuntime;
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
    /// <exception cref="OnnxRuntimeException">The file is not a loadable model.</exception>
    /// <exception cref="InvalidDataException">The model lacks the <c>images</c> input or the <c>embeddings</c> output.</exception>
    public OnnxEmbedder(string modelPath)
    {
        session = new InferenceSession(modelPath);
        if (!session.InputMetadata.ContainsKey(EmbeddingContract.InputName) || !session.OutputMetadata.TryGetValue(EmbeddingContract.OutputName, out var output))
        {
            session.Dispose();
            throw new InvalidDataException($"{modelPath}: expected input '{EmbeddingContract.InputName}' and output '{EmbeddingContract.OutputName}'.");
        }

        Dimension = output.Dimensions[^1];
        Metadata = session.ModelMetadata.CustomMetadataMap;
    }

    /// <summary>Embedding width D.</summary>
    public int Dimension { get; }

    /// <summary>The model's metadata_props (the model card).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>count crops (count x 256 x 128 x 3 RGB bytes) -> count x D floats, rows L2-normalised by the graph.</summary>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    public float[] Embed(byte[] crops, int count)
    {
        if (crops.Length != count * EmbeddingContract.CropBytes)
        {
            throw new ArgumentException($"Expected {count} crops of {EmbeddingContract.CropBytes} bytes, got {crops.Length} bytes.", nameof(crops));
        }

        using var input = OrtValue.CreateTensorValueFromMemory(crops, [count, EmbeddingContract.Height, EmbeddingContract.Width, 3L]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [EmbeddingContract.InputName], [input], [EmbeddingContract.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
