using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using SanReid.Trainer.Weights;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// The output folder of a training run:
/// <c>config.json</c> (the recipe used), <c>metrics.jsonl</c> (one JSON line per epoch), <c>curves.png</c> and <c>metrics.png</c> (losses and
/// metrics per epoch), <c>previews/epoch-NNN.png</c> (input | predicted | target textures), <c>checkpoint/</c>
/// (<c>encoder.safetensors</c>, <c>decoder.safetensors</c>, <c>optimizer.safetensors</c>, <c>state.json</c>) and, at
/// the end, <c>encoder.safetensors</c> (the trained SA-Enc with PyTorch keys; <c>export --weights</c> reads it).
/// </summary>
public sealed class RunFolder
{
    /// <summary>Opens (creating) the folder.</summary>
    public RunFolder(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>The latest checkpoint folder.</summary>
    public string CheckpointDir => Path.Combine(Root, "checkpoint");

    /// <summary>Per-epoch JSON lines.</summary>
    public string MetricsFile => Path.Combine(Root, "metrics.jsonl");

    /// <summary>Loss and metric curves.</summary>
    public string CurvesFile => Path.Combine(Root, "curves.png");

    /// <summary>Evaluation curves (written once an epoch was evaluated).</summary>
    public string MetricsCurvesFile => Path.Combine(Root, "metrics.png");

    /// <summary>Final encoder weights.</summary>
    public string EncoderFile => Path.Combine(Root, "encoder.safetensors");

    /// <summary>Final decoder weights (san and SAN-PG runs).</summary>
    public string DecoderFile => Path.Combine(Root, "decoder.safetensors");

    /// <summary>Preview PNG of an epoch (1-based number in the name).</summary>
    public string PreviewFile(int epochNumber)
    {
        var dir = Path.Combine(Root, "previews");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $"epoch-{epochNumber:D3}.png");
    }

    /// <summary>
    /// Writes a checkpoint: models, optimiser states and the sidecar go to <c>checkpoint.tmp/</c>, which then replaces
    /// <c>checkpoint/</c>, so an interrupted write never leaves a half checkpoint under the real name.
    /// </summary>
    public void SaveCheckpoint(SaEncoder encoder, SaDecoder? decoder, IReadOnlyList<(string Prefix, Adam Optimizer)> optimizers, CheckpointState state)
    {
        var tmp = CheckpointDir + ".tmp";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, true);
        }

        Directory.CreateDirectory(tmp);
        SaveModule(encoder, Path.Combine(tmp, "encoder.safetensors"));
        if (decoder is not null)
        {
            SaveModule(decoder, Path.Combine(tmp, "decoder.safetensors"));
        }

        var tensors = new Dictionary<string, Tensor>();
        foreach (var (prefix, optimizer) in optimizers)
        {
            foreach (var (key, value) in OptimizerState.Collect(prefix, optimizer))
            {
                tensors[key] = value;
            }
        }

        Safetensors.SaveStateDict(Path.Combine(tmp, "optimizer.safetensors"), tensors);
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }

        state.Save(Path.Combine(tmp, "state.json"));
        if (Directory.Exists(CheckpointDir))
        {
            Directory.Delete(CheckpointDir, true);
        }

        Directory.Move(tmp, CheckpointDir);
    }

    /// <summary>Restores models and optimisers from <c>checkpoint/</c> (built with the same config beforehand).</summary>
    /// <exception cref="InvalidDataException">A file is missing or does not fit the models.</exception>
    public void LoadCheckpoint(SaEncoder encoder, SaDecoder? decoder, IReadOnlyList<(string Prefix, Adam Optimizer)> optimizers)
    {
        var encoderPath = Path.Combine(CheckpointDir, "encoder.safetensors");
        LoadEncoder(encoder, encoderPath);
        if (decoder is not null)
        {
            LoadDecoder(decoder, Path.Combine(CheckpointDir, "decoder.safetensors"));
        }

        var optimizerPath = Path.Combine(CheckpointDir, "optimizer.safetensors");
        if (!File.Exists(optimizerPath))
        {
            throw new InvalidDataException($"Checkpoint file '{optimizerPath}' does not exist.");
        }

        var saved = Safetensors.LoadStateDict(optimizerPath);
        try
        {
            foreach (var (prefix, optimizer) in optimizers)
            {
                OptimizerState.Restore(prefix, optimizer, saved, optimizerPath);
            }
        }
        finally
        {
            foreach (var t in saved.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Saves a module's state_dict (parameters and buffers, PyTorch keys) as safetensors on the CPU.</summary>
    public static void SaveModule(nn.Module module, string path)
    {
        var state = module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu());
        Safetensors.SaveStateDict(path, state);
    }

    /// <summary>Loads an SA-Enc state_dict (strict keys and shapes, classifier included when the encoder has one).</summary>
    /// <exception cref="InvalidDataException">Missing file.</exception>
    /// <exception cref="WeightsFormatException">Keys or shapes do not fit.</exception>
    public static void LoadEncoder(SaEncoder encoder, string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Encoder weights '{path}' do not exist.");
        }

        var state = StateDictFiles.Read(path);
        try
        {
            StateDictFiles.LoadEncoder(encoder, state, path);
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Loads an SA-Dec state_dict with strict key and shape checks.</summary>
    /// <exception cref="InvalidDataException">Missing file, or keys/shapes that do not fit (named).</exception>
    /// <exception cref="WeightsFormatException">The file is not a readable state_dict (named).</exception>
    public static void LoadDecoder(SaDecoder decoder, string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Decoder weights '{path}' do not exist.");
        }

        var state = StateDictFiles.Read(path);
        try
        {
            var targets = decoder.state_dict();
            var missing = targets.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !targets.ContainsKey(k)).ToList();
            var mismatched = targets.Where(p => state.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape)).Select(p => p.Key).ToList();
            if (missing.Count + unexpected.Count + mismatched.Count > 0)
            {
                throw new InvalidDataException(
                    $"'{path}' is not an SA-Dec state_dict for this backbone: missing [{string.Join(", ", missing.Take(5))}], unexpected [{string.Join(", ", unexpected.Take(5))}], shape mismatch [{string.Join(", ", mismatched.Take(5))}].");
            }

            using var noGrad = no_grad();
            foreach (var (key, target) in targets)
            {
                target.copy_(state[key]);
            }
        }
        finally
        {
            foreach (var t in state.Values)
            {
                t.Dispose();
            }
        }
    }
}
