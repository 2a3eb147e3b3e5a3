using System.CommandLine;
using SanReid.Inference;
using SanReid.Trainer.Export;

namespace SanReid.Trainer.Cli;

/// <summary>
/// The options that set the input size and the model-card facts, shared by <c>export</c> and <c>compact</c>, and how
/// they combine with what is found next to the weights (<see cref="WeightsProvenance"/>): an option given on the
/// command line wins over the card facts file, which wins over the run's config.json.
/// </summary>
internal sealed class CardOptions
{
    public Option<int?> Height { get; } = new("--height") { Description = "Input height in pixels (default: the training size from the run's config.json or the card facts, else 256)." };

    public Option<int?> Width { get; } = new("--width") { Description = "Input width in pixels (default: the training size, else 128). Give both or neither." };

    public Option<FileInfo?> RunConfig { get; } = new("--run-config") { Description = "The training run's config.json, when it is not next to the weights (or in the folder above checkpoint/)." };

    public Option<string?> TrainingData { get; } = new("--training-data") { Description = "Training data for the model card, e.g. \"synthetic only: sanreid-train synth reid --train-ids 1000 --test-ids 200 --seed 1\"." };

    public Option<int?> TrainingIdentities { get; } = new("--training-identities") { Description = "Identities in the training data (default: the classifier width in the run's checkpoint/state.json)." };

    public Option<int?> TrainingImages { get; } = new("--training-images") { Description = "Images in the training data, for the model card." };

    public Option<string?> Recipe { get; } = new("--recipe") { Description = "Config file and/or script of the training, for the model card (default: a summary of the run's config.json)." };

    public Option<string?> Scores { get; } = new("--scores") { Description = "Re-ID scores in words, for the model card (default: from --scores-json, else \"none\")." };

    public Option<FileInfo?> ScoresJson { get; } = new("--scores-json") { Description = "Results JSON of eval --json or rank --json: recorded as the card's structured evaluation." };

    public Option<bool> Trained { get; } = new("--trained-for-reid") { Description = "Set when the weights were trained for re-ID." };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Height, Width, RunConfig, TrainingData, TrainingIdentities, TrainingImages, Recipe, Scores, ScoresJson, Trained })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>What is known about <paramref name="weightsPath"/> (nothing when null: ImageNet weights).</summary>
    public WeightsProvenance Provenance(ParseResult parse, string? weightsPath) =>
        weightsPath is null ? WeightsProvenance.None : WeightsProvenance.Find(weightsPath, parse.GetValue(RunConfig)?.FullName);

    /// <summary>
    /// The input size: --height/--width when given (a size that differs from the training size is allowed and
    /// printed as a warning; the card records both), else the training size, else 256 x 128.
    /// </summary>
    /// <exception cref="UsageException">Only one of --height/--width, or an unsupported size.</exception>
    public (int Height, int Width) Size(ParseResult parse, WeightsProvenance known, TextWriter log)
    {
        int? h = parse.GetValue(Height), w = parse.GetValue(Width);
        if ((h is null) != (w is null))
        {
            throw new UsageException("give both --height and --width, or neither (then the training size is used).");
        }

        if (h is { } height && w is { } width)
        {
            if (EmbeddingContract.SizeProblem(height, width) is { } problem)
            {
                throw new UsageException(problem + ".");
            }

            if (known.SizeText is { } trained && trained != $"{height}x{width}")
            {
                log.WriteLine($"warning: exporting at {height}x{width}, but the weights were trained at {trained} ({known.FoundIn}); the card records both.");
            }

            return (height, width);
        }

        if (known.Height is { } kh && known.Width is { } kw)
        {
            log.WriteLine($"input size {kh}x{kw}, the training size from {known.FoundIn}");
            return (kh, kw);
        }

        return (EmbeddingContract.Height, EmbeddingContract.Width);
    }

    /// <summary>The card facts: options first, then the facts file, then the run folder; "unknown"/"none" where nothing says.</summary>
    public CardFacts Facts(ParseResult parse, WeightsProvenance known, string backbone, int height, int width, string weightsSource)
    {
        var evaluation = parse.GetValue(ScoresJson) is { } json ? CardEvaluation.FromResultsJson(json.FullName) : known.Facts?.Evaluation;
        var identities = parse.GetValue(TrainingIdentities) ?? known.Facts?.TrainingIdentities ?? known.Identities;
        var images = parse.GetValue(TrainingImages) ?? known.Facts?.TrainingImages;
        if (identities is < 1 || images is < 1)
        {
            throw new UsageException("--training-identities and --training-images must be at least 1.");
        }

        return new CardFacts
        {
            Backbone = backbone,
            InputHeight = height,
            InputWidth = width,
            TrainingData = parse.GetValue(TrainingData) ?? known.Facts?.TrainingData ?? "unknown",
            TrainingIdentities = identities,
            TrainingImages = images,
            Recipe = parse.GetValue(Recipe) ?? known.Facts?.Recipe ?? known.RecipeSummary,
            Scores = parse.GetValue(Scores) ?? (parse.GetValue(ScoresJson) is not null ? evaluation!.Summary() : known.Facts?.Scores ?? evaluation?.Summary() ?? "none"),
            Evaluation = evaluation,
            TrainedForReid = parse.GetValue(Trained) || (known.Facts?.TrainedForReid ?? false),
            Notice = known.Facts?.Notice,
            WeightsSource = known.Facts?.WeightsSource ?? weightsSource,
        };
    }
}
