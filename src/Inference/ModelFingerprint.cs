using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;

namespace SanReid.Inference;

/// <summary>
/// Identifies the function an ONNX encoder computes: the SHA-256 of its serialised graph (field 7 of ModelProto:
/// nodes and weights), ignoring the metadata properties, producer and doc strings. Re-exporting the same weights gives
/// the same fingerprint (the export time in the metadata does not count); other weights give another. The gallery
/// records it so that a database filled by one model is never searched with another's embeddings.
/// </summary>
/// <remarks>
/// The file is read with Google.Protobuf's <see cref="CodedInputStream"/> and the graph's bytes are hashed as stored.
/// Parsing the graph into OnnxSharp's <see cref="GraphProto"/> and serialising it again would not be byte-stable for
/// every writer (field order, unknown fields), and the fingerprints already recorded in galleries must not change.
/// </remarks>
public static class ModelFingerprint
{
    /// <summary>Metadata key an int8 model uses to declare the fp32 graph whose embedding space it shares.</summary>
    public const string EmbeddingSpaceKey = "embedding_space";

    /// <summary>
    /// The embedding space a gallery records for this model: the model's own <see cref="Compute"/> fingerprint, unless
    /// it is an int8 model (metadata <c>precision</c> = <c>int8</c>) that declares <see cref="EmbeddingSpaceKey"/>:
    /// then the fingerprint of its fp32 source. <c>sanreid-train quantize</c> writes that key only when the
    /// cross-precision agreement passed (an int8 query against fp32 embeddings finds the same person first, and on real
    /// crops a gallery half int8, half fp32 scores as fp32 does), so such a model may search and fill the fp32
    /// model's gallery; any other model, int8 without the key included, needs a gallery of its own
    /// (docs/quantization.md).
    /// </summary>
    /// <param name="onnxPath">The model file.</param>
    /// <param name="metadata">Its metadata_props (the card).</param>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or the declared space is not a fingerprint.</exception>
    public static string EmbeddingSpace(string onnxPath, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue("precision", out var precision) && precision == "int8"
            && metadata.TryGetValue(EmbeddingSpaceKey, out var declared))
        {
            return IsFingerprint(declared)
                ? declared
                : throw new InvalidDataException($"'{onnxPath}' declares {EmbeddingSpaceKey} '{declared}', which is not a graph-sha256 fingerprint.");
        }

        return Compute(onnxPath);
    }

    /// <summary>True for "<c>graph-sha256:</c>" + 64 lower-case hex digits.</summary>
    public static bool IsFingerprint(string value) =>
        value.Length == 13 + 64 && value.StartsWith("graph-sha256:", StringComparison.Ordinal)
        && value.AsSpan(13).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>"<c>graph-sha256:</c>" + 64 hex digits.</summary>
    /// <exception cref="InvalidDataException">The file is not a protobuf ModelProto with exactly one graph (the message names the file).</exception>
    public static string Compute(string onnxPath)
    {
        using var stream = new FileStream(onnxPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var input = new CodedInputStream(stream, leaveOpen: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int graphs = 0;
        try
        {
            for (uint tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
            {
                if (WireFormat.GetTagFieldNumber(tag) == ModelProto.GraphFieldNumber &&
                    WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    graphs++;
                    hash.AppendData(input.ReadBytes().Span);
                }
                else
                {
                    input.SkipLastField();
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{onnxPath}' is not an ONNX model: {e.Message}", e);
        }

        if (graphs != 1)
        {
            throw new InvalidDataException($"'{onnxPath}' holds {graphs} graphs; an ONNX model has exactly one.");
        }

        return "graph-sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
