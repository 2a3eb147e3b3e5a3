using System.Security.Cryptography;

namespace SanReid.Api.Services;

/// <summary>
/// Identifies the function an ONNX encoder computes: the SHA-256 of its serialised graph (field 7 of ModelProto:
/// nodes and weights), ignoring the metadata properties, producer and doc strings. Re-exporting the same weights gives
/// the same fingerprint (the export time in the metadata does not count); other weights give another. The gallery
/// records it so that a database filled by one model is never searched with another's embeddings.
/// </summary>
public static class ModelFingerprint
{
    private const int GraphField = 7;

    /// <summary>"<c>graph-sha256:</c>" + 64 hex digits.</summary>
    /// <exception cref="InvalidDataException">The file is not a protobuf ModelProto with exactly one graph.</exception>
    public static string Compute(string onnxPath)
    {
        using var stream = new FileStream(onnxPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int graphs = 0;
        while (stream.Position < stream.Length)
        {
            ulong key = ReadVarint(stream, onnxPath);
            int field = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    ReadVarint(stream, onnxPath);
                    break;
                case 1:
                    Skip(stream, 8, onnxPath);
                    break;
                case 5:
                    Skip(stream, 4, onnxPath);
                    break;
                case 2:
                    long length = checked((long)ReadVarint(stream, onnxPath));
                    if (length < 0 || length > stream.Length - stream.Position)
                    {
                        throw new InvalidDataException($"'{onnxPath}' is not an ONNX model: field {field} runs past the end of the file.");
                    }

                    if (field != GraphField)
                    {
                        Skip(stream, length, onnxPath);
                        break;
                    }

                    graphs++;
                    while (length > 0)
                    {
                        int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
                        if (read <= 0)
                        {
                            throw new InvalidDataException($"'{onnxPath}' ends inside its graph.");
                        }

                        hash.AppendData(buffer, 0, read);
                        length -= read;
                    }

                    break;
                default:
                    throw new InvalidDataException($"'{onnxPath}' is not an ONNX model (protobuf wire type {key & 7}).");
            }
        }

        if (graphs != 1)
        {
            throw new InvalidDataException($"'{onnxPath}' holds {graphs} graphs; an ONNX model has exactly one.");
        }

        return "graph-sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static ulong ReadVarint(Stream stream, string path)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            int b = stream.ReadByte();
            if (b < 0)
            {
                throw new InvalidDataException($"'{path}' ends inside a protobuf varint.");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException($"'{path}' holds a protobuf varint longer than 10 bytes.");
    }

    private static void Skip(Stream stream, long count, string path)
    {
        if (count > stream.Length - stream.Position)
        {
            throw new InvalidDataException($"'{path}' ends inside a protobuf field.");
        }

        stream.Seek(count, SeekOrigin.Current);
    }
}
