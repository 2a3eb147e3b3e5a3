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
