using System.Buffers.Binary;
using System.Text.Json;

namespace SanReid.Trainer.Weights;

/// <summary>
/// Checks the header of a <c>.safetensors</c> file (8-byte little-endian header length, a JSON object of
/// <c>name: {dtype, shape, data_offsets}</c>, then the data) before any of it reaches libtorch, so a damaged or
/// hostile file gives a one-line error instead of a native failure. Format: huggingface/safetensors README.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Largest accepted JSON header (the format's own limit is 100 MB).</summary>
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
        ["I16"] = 2,
        ["U16"] = 2,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I32"] = 4,
        ["U32"] = 4,
        ["F32"] = 4,
        ["I64"] = 8,
        ["U64"] = 8,
        ["F64"] = 8,
    };

    /// <summary>Validates the header of <paramref name="path"/>.</summary>
    /// <exception cref="WeightsFormatException">The header is truncated, not JSON, or a tensor's dtype, shape or
    /// data offsets are invalid or disagree with each other or with the file size; the message names the tensor.</exception>
    public static void Validate(string path)
    {
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw Fail(path, $"not a safetensors file ({length} bytes, shorter than the 8-byte header length).");
        }

        ulong headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerBytes > (ulong)Math.Min(MaxHeaderBytes, length - 8))
        {
            throw Fail(path, $"not a safetensors file: header length {headerBytes} does not fit the {length}-byte file.");
        }

        var header = new byte[headerBytes];
        stream.ReadExactly(header);
        long dataBytes = length - 8 - (long)headerBytes;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"not a safetensors file: the header is not JSON ({e.Message}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, "not a safetensors file: the header is not a JSON object.");
            }

            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name != "__metadata__")
                {
                    CheckTensor(path, entry.Name, entry.Value, dataBytes);
                }
            }
        }
    }

    private static void CheckTensor(string path, string name, JsonElement tensor, long dataBytes)
    {
        if (tensor.ValueKind != JsonValueKind.Object ||
            !tensor.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String ||
            !tensor.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array ||
            !tensor.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Fail(path, $"tensor '{name}' lacks dtype, shape or data_offsets [begin, end].");
        }

        if (!ElementBytes.TryGetValue(dtype.GetString()!, out int size))
        {
            throw Fail(path, $"tensor '{name}' has unknown dtype '{dtype.GetString()}'.");
        }

        long bytes = size;
        var dims = new List<string>();
        foreach (var dim in shape.EnumerateArray())
        {
            dims.Add(dim.ToString());
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
            {
                throw Fail(path, $"tensor '{name}' has an invalid shape [{string.Join(", ", shape.EnumerateArray())}]: dimensions must be non-negative integers.");
            }

            bytes = d == 0 || bytes == 0 ? 0 : bytes > dataBytes / d ? dataBytes + 1 : bytes * d;
        }

        long begin = offsets[0].TryGetInt64(out long b) ? b : -1;
        long end = offsets[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin || end > dataBytes)
        {
            throw Fail(path, $"tensor '{name}' has data_offsets [{offsets[0]}, {offsets[1]}] outside the {dataBytes} data bytes.");
        }

        if (end - begin != bytes)
        {
            throw Fail(path, $"tensor '{name}' of shape [{string.Join(", ", dims)}] {dtype.GetString()} needs " +
                             (bytes > dataBytes ? $"more than the file's {dataBytes} data bytes" : $"{bytes} bytes") +
                             $" but data_offsets give {end - begin}.");
        }
    }

    private static WeightsFormatException Fail(string path, string message) => new(path, message);
}
