using System.Text.Json;
using System.Text.Json.Serialization;
using SanReid.Inference;

namespace SanReid.Trainer.Export;

/// <summary>
/// The model-card facts that travel with a compact weights file (<c>compact</c> writes them to
/// <c>&lt;stem&gt;.card-facts.json</c> beside <c>&lt;stem&gt;.fp16.safetensors</c>; <c>export</c> and
/// <c>default-model --weights</c> read them): what the tensors alone do not say. snake_case keys; an unknown key is an
/// error, so a typo never drops a fact silently.
/// </summary>
public sealed record CardFacts
{
    /// <summary>"resnet18" or "resnet50".</summary>
    public required string Backbone { get; init; }

    /// <summary>Training (and export) input height in pixels.</summary>
    public required int InputHeight { get; init; }

    /// <summary>Training (and export) input width in pixels.</summary>
    public required int InputWidth { get; init; }

    /// <summary>Training data, e.g. "synthetic only: sanreid-train synth reid --train-ids 1000 ... --seed 1".</summary>
    public required string TrainingData { get; init; }

    /// <summary>Identities in the training data, when known.</summary>
    public int? TrainingIdentities { get; init; }

    /// <summary>Images in the training data, when known.</summary>
    public int? TrainingImages { get; init; }

    /// <summary>Config file and/or script of the training run, when known.</summary>
    public string? Recipe { get; init; }

    /// <summary>Scores in words, or "none".</summary>
    public required string Scores { get; init; }

    /// <summary>Structured scores, when known.</summary>
    public CardEvaluation? Evaluation { get; init; }

    /// <summary>True when the weights were trained for re-ID.</summary>
    public required bool TrainedForReid { get; init; }

    /// <summary>Plain-language note for the card (default: the exporter's standard notice).</summary>
    public string? Notice { get; init; }

    /// <summary>Where the weights came from before compaction (a file name, never an absolute path).</summary>
    public required string WeightsSource { get; init; }

    /// <summary>Notice of a card whose facts carry none.</summary>
    [JsonIgnore]
    public string DefaultNotice => TrainedForReid
        ? "SA-Enc trained for person re-identification."
        : "NOT trained for re-ID: rankings reflect generic image similarity only.";

    /// <summary>The model card of an export of these weights.</summary>
    /// <param name="name">Model name (file stem).</param>
    /// <param name="architecture">One-line architecture.</param>
    /// <param name="height">Exported input height (may differ from <see cref="InputHeight"/> when asked for).</param>
    /// <param name="width">Exported input width.</param>
    /// <param name="trainingInputSize">"HxW" the weights were trained at, or null when unknown.</param>
    /// <param name="weightsSource">Where the exported tensors came from (file name and note).</param>
    /// <param name="neckInit">How the neck was initialised.</param>
    public ModelCard ToCard(string name, string architecture, int height, int width, string? trainingInputSize, string weightsSource, string neckInit) => new()
    {
        Name = name,
        Backbone = Backbone,
        Architecture = architecture,
        InputHeight = height,
        InputWidth = width,
        EmbeddingSize = Model.SaEncoder.EmbeddingSize,
        TrainingData = TrainingData,
        TrainingIdentities = TrainingIdentities,
        TrainingImages = TrainingImages,
        TrainingInputSize = trainingInputSize ?? "unknown",
        Recipe = Recipe,
        Scores = Scores,
        Evaluation = Evaluation,
        TrainedForReid = TrainedForReid,
        WeightsSource = weightsSource,
        NeckInit = neckInit,
        Notice = Notice ?? DefaultNotice,
    };

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Path of the facts beside a weights file: <c>dir/X.fp16.safetensors</c> (or <c>dir/X.safetensors</c>) ->
    /// <c>dir/X.card-facts.json</c>.
    /// </summary>
    public static string PathFor(string weightsPath) => Path.Combine(
        Path.GetDirectoryName(Path.GetFullPath(weightsPath))!, StemOf(weightsPath) + ".card-facts.json");

    /// <summary>The weights file's name without <c>.safetensors</c>/<c>.pth</c> and without a <c>.fp16</c>/<c>.fp32</c> tag.</summary>
    public static string StemOf(string weightsPath)
    {
        var stem = Path.GetFileNameWithoutExtension(weightsPath);
        foreach (var tag in new[] { ".fp16", ".fp32" })
        {
            if (stem.EndsWith(tag, StringComparison.OrdinalIgnoreCase))
            {
                return stem[..^tag.Length];
            }
        }

        return stem;
    }

    /// <summary>Writes the facts as indented JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");

    /// <summary>Reads and checks a facts file.</summary>
    /// <exception cref="InvalidDataException">Not JSON, an unknown or missing key, a backbone other than resnet18/resnet50, or an
    /// unsupported input size; the message names the file.</exception>
    public static CardFacts Load(string path)
    {
        CardFacts facts;
        try
        {
            facts = JsonSerializer.Deserialize<CardFacts>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"Card facts '{path}' are empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Card facts '{path}': {e.Message}", e);
        }

        if (facts.Backbone is not ("resnet18" or "resnet50"))
        {
            throw new InvalidDataException($"Card facts '{path}': backbone must be resnet18 or resnet50, got '{facts.Backbone}'.");
        }

        if (EmbeddingContract.SizeProblem(facts.InputHeight, facts.InputWidth) is { } problem)
        {
            throw new InvalidDataException($"Card facts '{path}': {problem}.");
        }

        return facts;
    }
}
