using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// Adam / AMSGrad state as a flat tensor dictionary for safetensors, keyed as PyTorch's optimiser state_dict numbers
/// parameters: <c>{prefix}.state.{i}.exp_avg</c>, <c>.exp_avg_sq</c>, <c>.max_exp_avg_sq</c> (AMSGrad) and
/// <c>.step</c> (int64 [1]), i = the parameter's position in the optimiser (its param groups in order).
/// </summary>
/// <remarks>
/// Why not TorchSharp's own <c>Optimizer.save_state_dict(path)</c> / <c>load_state_dict(path)</c> (0.107.0): tried on
/// an AMSGrad Adam over a Linear(8, 4) after 3 steps (a throwaway xunit probe, not kept), they round-trip (step 3/3,
/// equal moments) but write TorchSharp's own BinaryWriter stream (528 bytes starting 04 "Adam" 01 02 ...), which no
/// safetensors or PyTorch reader opens, whereas every other checkpoint file is safetensors with PyTorch's names and the
/// checkpoints of existing runs hold <c>optimizer.safetensors</c>. A model of another shape or parameter count fails
/// there with <c>ArgumentException</c> "Mismatched tensor shape while loading" / "different number of states", naming
/// neither the file nor the key; <see cref="Restore"/> names both. The state itself is still TorchSharp's
/// (<c>state_dict().State</c>); only its file format is ours.
/// </remarks>
public static class OptimizerState
{
    /// <summary>Copies of the optimiser's per-parameter state (CPU tensors owned by the caller).</summary>
    public static Dictionary<string, Tensor> Collect(string prefix, Adam optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var result = new Dictionary<string, Tensor>();
        var states = optimizer.state_dict().State;
        for (var i = 0; i < states.Count; i++)
        {
            var s = (Adam.State)states[i];
            var key = $"{prefix}.state.{i}";
            result[$"{key}.step"] = tensor(new[] { s.step }, ScalarType.Int64);
            result[$"{key}.exp_avg"] = s.exp_avg.detach().cpu().clone();
            result[$"{key}.exp_avg_sq"] = s.exp_avg_sq.detach().cpu().clone();
            if (s.max_exp_avg_sq is not null)
            {
                result[$"{key}.max_exp_avg_sq"] = s.max_exp_avg_sq.detach().cpu().clone();
            }
        }

        return result;
    }

    /// <summary>Restores state written by <see cref="Collect"/> into an optimiser over the same parameters.</summary>
    /// <exception cref="InvalidDataException">A key is missing or a shape differs (the key is named).</exception>
    public static void Restore(string prefix, Adam optimizer, IReadOnlyDictionary<string, Tensor> saved, string source)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(saved);
        var states = optimizer.state_dict().State;
        var savedCount = saved.Keys.Count(k => k.StartsWith(prefix + ".state.", StringComparison.Ordinal) && k.EndsWith(".step", StringComparison.Ordinal));
        if (savedCount != states.Count)
        {
            throw new InvalidDataException($"{source}: optimiser '{prefix}' has {savedCount} saved parameter states; this model has {states.Count}.");
        }

        using var noGrad = no_grad();
        for (var i = 0; i < states.Count; i++)
        {
            var s = (Adam.State)states[i];
            var key = $"{prefix}.state.{i}";
            s.step = Get(saved, $"{key}.step", source).item<long>();
            CopyInto(s.exp_avg, Get(saved, $"{key}.exp_avg", source), $"{key}.exp_avg", source);
            CopyInto(s.exp_avg_sq, Get(saved, $"{key}.exp_avg_sq", source), $"{key}.exp_avg_sq", source);
            if (saved.TryGetValue($"{key}.max_exp_avg_sq", out var max))
            {
                s.max_exp_avg_sq ??= zeros_like(s.exp_avg_sq).DetachFromDisposeScope();
                CopyInto(s.max_exp_avg_sq, max, $"{key}.max_exp_avg_sq", source);
            }
        }
    }

    private static Tensor Get(IReadOnlyDictionary<string, Tensor> saved, string key, string source) =>
        saved.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"{source}: missing optimiser key '{key}'.");

    private static void CopyInto(Tensor target, Tensor value, string key, string source)
    {
        if (!target.shape.SequenceEqual(value.shape))
        {
            throw new InvalidDataException($"{source}: '{key}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", target.shape)}].");
        }

        target.copy_(value);
    }
}
