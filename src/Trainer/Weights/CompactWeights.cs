using SanReid.Trainer.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>
/// The shipped form of an SA-Enc: only the inference tensors (backbone and neck <c>fc.0</c>/<c>fc.1</c>; no classifier,
/// no <c>num_batches_tracked</c>, no optimiser state), PyTorch keys, as safetensors. In float16, weights and biases are
/// halved in size; BatchNorm running means and variances stay float32 (a few kB; a variance can lie outside float16's
/// normal range, 6.1e-5 to 65504). <see cref="StateDictFiles.Read"/> turns float16 back into float32 at load.
/// ResNet-18: 11.5 M parameters, about 23 MB in float16 (46 MB in float32).
/// </summary>
public static class CompactWeights
{
    /// <summary>Whether <paramref name="key"/> is an inference tensor of the SA-Enc (what the ONNX export uses).</summary>
    public static bool IsInferenceKey(string key) =>
        !key.StartsWith("classifier.", StringComparison.Ordinal) && !key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    /// <summary>Writes <paramref name="encoder"/>'s inference tensors to <paramref name="path"/> (via <c>path.tmp</c>, then renamed).</summary>
    /// <param name="encoder">The SA-Enc (its classifier, if any, is left out).</param>
    /// <param name="path">Output .safetensors file.</param>
    /// <param name="dtype">Float16 or Float32, the dtype of weights and biases.</param>
    /// <returns>Tensors written and the file size in bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is neither Float16 nor Float32.</exception>
    /// <exception cref="WeightsFormatException">A tensor holds NaN/Inf, or a value too large for float16 (named).</exception>
    public static (int Tensors, long Bytes) Write(SaEncoder encoder, string path, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float16 or ScalarType.Float32))
        {
            throw new ArgumentException($"compact weights are float16 or float32, not {dtype}.", nameof(dtype));
        }

        // Every temporary (CPU copies, casts) belongs to the scope and is freed on return.
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (key, value) in encoder.state_dict().Where(p => IsInferenceKey(p.Key)))
        {
            bool keepFloat32 = key.EndsWith(".running_mean", StringComparison.Ordinal) || key.EndsWith(".running_var", StringComparison.Ordinal);
            var stored = value.detach().cpu().to_type(keepFloat32 ? ScalarType.Float32 : dtype).contiguous();
            if (!stored.isfinite().all().item<bool>())
            {
                throw new WeightsFormatException(encoder.Backbone.Name(),
                    $"tensor '{key}' is not finite in {stored.dtype} (NaN/Inf, or a value beyond float16's range 65504); write float32 (--dtype float32).");
            }

            tensors[key] = stored;
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var temp = path + ".tmp";
        try
        {
            Safetensors.SaveStateDict(temp, tensors);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return (tensors.Count, new FileInfo(path).Length);
    }
}
