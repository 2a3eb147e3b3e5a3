using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SanReid.Inference;

/// <summary>
/// The <see cref="ModelCard"/> JSON found next to a model, read as written (every key kept, none added), or none.
/// The Api's <c>GET /model</c> serves <see cref="Json"/>; a missing or malformed card is logged as a warning, never an
/// error (a model without its card still embeds).
/// </summary>
public sealed class ModelCardFile
{
    /// <summary>
    /// Reads <paramref name="cardPath"/> when given, else the first valid JSON of <see cref="ModelCard.PathFor"/>
    /// (<c>dir/name.card.json</c>) and <c>dir/name.onnx.card.json</c>.
    /// </summary>
    /// <param name="modelPath">Path of the ONNX model the card describes.</param>
    /// <param name="cardPath">Explicit card path, or null to look next to the model.</param>
    /// <param name="logger">Receives a warning for a card that is not JSON or for no card at all; null: none.</param>
    public ModelCardFile(string modelPath, string? cardPath, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
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
