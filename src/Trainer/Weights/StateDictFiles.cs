using System.Collections;
using SanReid.Trainer.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Weights;

/// <summary>
/// Reads PyTorch state_dicts (<c>.pth</c>/<c>.pt</c> pickles via TorchSharp.PyBridge, or <c>.safetensors</c>) and copies
/// them into an <see cref="SaEncoder"/> with strict key and shape checks.
/// </summary>
public static class StateDictFiles
{
    /// <summary>
    /// Reads a state_dict. A checkpoint that wraps it as <c>{"state_dict": ...}</c> or <c>{"model": ...}</c> is unwrapped,
    /// and a DataParallel <c>module.</c> prefix is removed. float16 and bfloat16 tensors (e.g. <c>compact</c>'s
    /// shipped weights) are converted to float32, so every reader gets the dtype the modules hold. Tensors are CPU
    /// tensors owned by the caller.
    /// </summary>
    /// <exception cref="WeightsFormatException">Unknown extension, unreadable file (a safetensors header with invalid
    /// dtypes, shapes or offsets is refused before libtorch reads it), or non-tensor values.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' not found.", path);
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        Dictionary<string, Tensor> state;
        try
        {
            state = extension switch
            {
                ".safetensors" => ReadSafetensors(path),
                ".pth" or ".pt" or ".bin" => ReadPickle(path),
                _ => throw new WeightsFormatException(path, $"unknown weights format '{extension}'; expected .pth, .pt or .safetensors."),
            };
        }
        catch (Exception e) when (e is not WeightsFormatException)
        {
            throw new WeightsFormatException(path, $"not a readable state_dict: {FirstLine(e.Message)}", e);
        }

        if (state.Count > 0 && state.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
        {
            state = state.ToDictionary(p => p.Key["module.".Length..], p => p.Value);
        }

        foreach (var key in state.Keys.ToList())
        {
            var value = state[key];
            if (value.dtype is ScalarType.Float16 or ScalarType.BFloat16)
            {
                state[key] = value.to_type(ScalarType.Float32);
                value.Dispose();
            }
        }

        return state;
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        SafetensorsHeader.Validate(path);
        return Safetensors.LoadStateDict(path);
    }

    // torch.save writes a zip archive ("PK\x03\x04"); the legacy format is a bare pickle (protocol 2: 0x80 0x02).
    private static Dictionary<string, Tensor> ReadPickle(string path)
    {
        var magic = new byte[4];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }

        bool zip = read == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4;
        if (!zip && !(read >= 1 && magic[0] == 0x80))
        {
            throw new WeightsFormatException(path,
                "not a readable state_dict: neither a torch.save zip archive nor a PyTorch pickle (expected a .pth written by torch.save(model.state_dict())).");
        }

        return FromHashtable(PyTorchUnpickler.UnpickleStateDict(path), path);
    }

    private static string FirstLine(string message)
    {
        var line = message.ReplaceLineEndings("\n").Split('\n')[0].Trim();
        return line.Length == 0 ? "unknown error." : line;
    }

    /// <summary>
    /// Copies an ImageNet ResNet backbone (torchvision keys conv1, bn1, layer1..layer4) into <paramref name="encoder"/>;
    /// <c>fc.*</c> (ImageNet's 1000-way head) is ignored and the neck and classifier keep their initialisation.
    /// <c>num_batches_tracked</c> may be absent (older torchvision checkpoints).
    /// </summary>
    /// <exception cref="WeightsFormatException">Missing or unexpected keys, shapes that differ, or a tensor with NaN/Inf
    /// values; the message names the file and the keys.</exception>
    public static void LoadBackbone(SaEncoder encoder, IReadOnlyDictionary<string, Tensor> state, string source) =>
        Copy(encoder, state, source, IsBackboneKey, ignore: k => k.StartsWith("fc.", StringComparison.Ordinal));

    /// <summary>
    /// Reads <paramref name="path"/> (<see cref="Read"/>) and copies its backbone into <paramref name="encoder"/>
    /// (<see cref="LoadBackbone"/>): the training runs' <c>--init</c>. <c>classifier.*</c> keys are dropped first, so an
    /// SA-Enc checkpoint trained on other identities also initialises the backbone. The read tensors are disposed.
    /// </summary>
    /// <exception cref="WeightsFormatException">The file is unreadable, or its backbone keys or shapes do not match.</exception>
    public static void LoadBackboneFile(SaEncoder encoder, string path)
    {
        var state = Read(path);
        try
        {
            LoadBackbone(encoder, state.Where(p => !p.Key.StartsWith("classifier.", StringComparison.Ordinal)).ToDictionary(), path);
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>
    /// Copies an SA-Enc state_dict (backbone and neck <c>fc.0</c>/<c>fc.1</c>, and <c>classifier</c> when the encoder
    /// has one). <c>classifier.*</c> in the file is ignored when the encoder has none (inference and export need no
    /// classifier).
    /// </summary>
    /// <exception cref="WeightsFormatException">Missing or unexpected keys, shapes that differ, or a tensor with NaN/Inf
    /// values; the message names the file and the keys.</exception>
    public static void LoadEncoder(SaEncoder encoder, IReadOnlyDictionary<string, Tensor> state, string source) =>
        Copy(encoder, state, source, _ => true,
            ignore: k => encoder.NumClasses == 0 && k.StartsWith("classifier.", StringComparison.Ordinal));

    private static bool IsBackboneKey(string key) =>
        key.StartsWith("conv1.", StringComparison.Ordinal) || key.StartsWith("bn1.", StringComparison.Ordinal) ||
        key.StartsWith("layer", StringComparison.Ordinal);

    private static void Copy(SaEncoder encoder, IReadOnlyDictionary<string, Tensor> state, string source,
        Func<string, bool> wanted, Func<string, bool> ignore)
    {
        var targets = encoder.state_dict().Where(p => wanted(p.Key)).ToDictionary(p => p.Key, p => p.Value);
        var missing = targets.Keys
            .Where(k => !state.ContainsKey(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            .ToList();
        var unexpected = state.Keys.Where(k => !targets.ContainsKey(k) && !ignore(k)).ToList();
        var mismatched = targets.Where(p => state.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape))
            .Select(p => $"{p.Key} [{string.Join(", ", state[p.Key].shape)}] vs [{string.Join(", ", p.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count} key(s): {Few(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count} key(s): {Few(unexpected)}");
            if (mismatched.Count > 0) parts.Add($"{mismatched.Count} shape mismatch(es) (file vs {encoder.Backbone.Name()}): {Few(mismatched)}");
            throw new WeightsFormatException(source, $"not a {encoder.Backbone.Name()} state_dict for this SA-Enc: {string.Join("; ", parts)}.");
        }

        using (NewDisposeScope())
        {
            foreach (var (key, _) in targets.Where(p => state.ContainsKey(p.Key)))
            {
                var value = state[key];
                if (value.is_floating_point() && !value.isfinite().all().item<bool>())
                {
                    long bad = value.numel() - value.isfinite().sum().item<long>();
                    throw new WeightsFormatException(source, $"tensor '{key}' holds {bad} non-finite value(s) (NaN or Inf); the weights are broken.");
                }
            }
        }

        using var noGrad = no_grad();
        foreach (var (key, target) in targets)
        {
            if (state.TryGetValue(key, out var value))
            {
                target.copy_(value);
            }
        }
    }

    private static string Few(List<string> items) =>
        string.Join(", ", items.Take(8)) + (items.Count > 8 ? $", ... ({items.Count - 8} more)" : "");

    private static Dictionary<string, Tensor> FromHashtable(Hashtable table, string path)
    {
        IDictionary inner = table;
        foreach (var wrapper in new[] { "state_dict", "model" })
        {
            if (table.Count <= 4 && table[wrapper] is IDictionary nested)
            {
                inner = nested;
                break;
            }
        }

        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in inner)
        {
            if (entry.Value is not Tensor t)
            {
                throw new WeightsFormatException(path, $"entry '{entry.Key}' is not a tensor; expected a state_dict.");
            }

            result[(string)entry.Key] = t;
        }

        return result;
    }
}
