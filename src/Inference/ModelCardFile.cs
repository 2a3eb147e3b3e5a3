using System.Text.Json;

namespace SanReid.Api.Services;

/// <summary>The model card JSON next to the model (written by the Trainer's export), or null when there is none.</summary>
public sealed class ModelCard
{
    public ModelCard(string modelPath, string? cardPath, ILogger logger)
    {
        var candidates = cardPath is not null
            ? [cardPath]
            : new[] { Path.ChangeExtension(modelPath, ".card.json"), modelPath + ".card.json" };
        foreach (var candidate in candidates)
        {
            if (!File.Exists(candidate))
                continue;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(candidate));
                Json = doc.RootElement.Clone();
                SourcePath = candidate;
                return;
            }
            catch (JsonException e)
            {
                logger.LogWarning("Model card {Path} is not valid JSON: {Reason}", candidate, e.Message);
            }
        }
        logger.LogWarning("No model card found for {Model} (looked for {Candidates})", modelPath, string.Join(", ", candidates));
    }

    /// <summary>The card, or null.</summary>
    public JsonElement? Json { get; }

    /// <summary>Where the card was read from, or null.</summary>
    public string? SourcePath { get; }
}
