using System.Globalization;
using SanReid.Trainer.Training;

namespace SanReid.Trainer.Export;

/// <summary>
/// What is known about an SA-Enc weights file besides its tensors, found next to it: the card facts of a compact
/// file (<see cref="CardFacts.PathFor"/>), else the training run's <c>config.json</c> (in the file's folder, or in the
/// run folder above <c>checkpoint/</c>; a folder is a run folder when it also holds <c>checkpoint/</c> or
/// <c>metrics.jsonl</c>) and the checkpoint's <c>state.json</c> (identities).
/// </summary>
/// <param name="Backbone">"resnet18"/"resnet50", or null when unknown.</param>
/// <param name="Height">Training input height, or null when unknown.</param>
/// <param name="Width">Training input width, or null when unknown.</param>
/// <param name="Facts">The card facts file's content, when there is one.</param>
/// <param name="FoundIn">The file the size and backbone came from (for messages), or null.</param>
/// <param name="Identities">Training identities (the classifier width in state.json), when known.</param>
/// <param name="RecipeSummary">One line of the run's config (backbone, size, P x K, epochs, lr, seed), when a config was found.</param>
public sealed record WeightsProvenance(
    string? Backbone, int? Height, int? Width, CardFacts? Facts, string? FoundIn, int? Identities, string? RecipeSummary)
{
    /// <summary>Nothing known.</summary>
    public static WeightsProvenance None { get; } = new(null, null, null, null, null, null, null);

    /// <summary>"HxW" of the training size, or null.</summary>
    public string? SizeText => Height is { } h && Width is { } w ? $"{h}x{w}" : null;

    /// <summary>Finds what is known about <paramref name="weightsPath"/>.</summary>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="runConfig">An explicit run config.json (wins over one found next to the weights), or null.</param>
    /// <exception cref="InvalidDataException">A facts file or config.json is there but unreadable (named).</exception>
    public static WeightsProvenance Find(string weightsPath, string? runConfig = null)
    {
        var full = Path.GetFullPath(weightsPath);
        var factsPath = CardFacts.PathFor(full);
        if (runConfig is null && File.Exists(factsPath))
        {
            var facts = CardFacts.Load(factsPath);
            return new WeightsProvenance(facts.Backbone, facts.InputHeight, facts.InputWidth, facts, factsPath, facts.TrainingIdentities, null);
        }

        var folder = Path.GetDirectoryName(full)!;
        var runFolder = Path.GetFileName(folder) == "checkpoint" ? Path.GetDirectoryName(folder)! : folder;
        // A folder counts as a run folder only with a training run's other files beside config.json, so a stray
        // config.json next to loose weights (e.g. in /tmp) is not taken for the recipe.
        static bool IsRun(string dir) => File.Exists(Path.Combine(dir, "config.json")) &&
            (Directory.Exists(Path.Combine(dir, "checkpoint")) || File.Exists(Path.Combine(dir, "metrics.jsonl")));
        var configPath = runConfig ?? new[] { folder, runFolder }.Where(IsRun).Select(d => Path.Combine(d, "config.json")).FirstOrDefault();
        if (configPath is null)
        {
            return None;
        }

        TrainingConfig config;
        try
        {
            config = TrainingConfig.Load(configPath);
        }
        catch (TrainingConfigException e)
        {
            throw new InvalidDataException($"Run config '{configPath}' (read for the weights' input size): {e.Message}", e);
        }

        int? identities = null;
        var statePath = Path.Combine(runFolder, "checkpoint", "state.json");
        if (File.Exists(statePath))
        {
            var state = CheckpointState.Load(statePath);
            identities = state.NumClasses > 0 ? state.NumClasses : null;
        }

        var inv = CultureInfo.InvariantCulture;
        var summary = string.Create(inv,
            $"run {Path.GetFileName(runFolder)}/config.json: {config.Backbone} {config.Height}x{config.Width}, P{config.P} x K{config.K}, {config.Epochs} epochs, lr {config.Lr:G}, seed {config.Seed}");
        return new WeightsProvenance(config.Backbone, config.Height, config.Width, null, configPath, identities, summary);
    }
}
