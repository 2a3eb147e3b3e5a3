using System.Text.Json;

namespace SanReid.Trainer.Training;

/// <summary>
/// The JSON sidecar of a checkpoint (<c>state.json</c>): what the safetensors files do not hold. Together with
/// <c>encoder.safetensors</c> (SA-Enc with classifier, PyTorch keys), <c>decoder.safetensors</c> (SA-Dec, san and
/// SAN-PG runs) and <c>optimizer.safetensors</c> (<see cref="OptimizerState"/>) it lets <c>--resume</c> continue exactly:
/// the sampler, augmentation and triplet draws of epoch e depend only on (seed, e, step).
/// </summary>
public sealed record CheckpointState
{
    /// <summary>"baseline", "san" or "pg".</summary>
    public required string Mode { get; init; }

    /// <summary>Epochs completed; training resumes at this 0-based epoch.</summary>
    public required int EpochsDone { get; init; }

    /// <summary>Optimiser steps taken so far (all epochs).</summary>
    public required long GlobalStep { get; init; }

    /// <summary>Classifier identities (0 for SAN-PG).</summary>
    public required int NumClasses { get; init; }

    /// <summary>Encoder learning rate of the last completed epoch.</summary>
    public required double Lr { get; init; }

    /// <summary>The recipe the run used (the sampler seed is <see cref="TrainingConfig.Seed"/>).</summary>
    public required TrainingConfig Config { get; init; }

    /// <summary>Reads <c>state.json</c>.</summary>
    /// <exception cref="InvalidDataException">Missing or unreadable file.</exception>
    public static CheckpointState Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Checkpoint state '{path}' does not exist (nothing to resume).");
        }

        try
        {
            return JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(path), TrainingConfig.JsonOptions)
                ?? throw new InvalidDataException($"Checkpoint state '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint state '{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes <c>state.json</c>.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, TrainingConfig.JsonOptions));
}
