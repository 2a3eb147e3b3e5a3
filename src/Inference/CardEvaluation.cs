using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanReid.Inference;

/// <summary>
/// Scores of a model on named data, as the model card records them (key <c>evaluation</c>): read from the JSON that
/// <c>eval --json</c> or <c>rank --json</c> writes, so the card carries the measured figures, not retyped ones.
/// Rank-k and mAP/mINP are fractions in [0, 1] (Market-1501 protocol; mINP: Ye et al., TPAMI 2021).
/// </summary>
public sealed record CardEvaluation
{
    /// <summary>What was evaluated on: the crop folders, or the query and gallery folders (folder names, no absolute paths).</summary>
    public required string Data { get; init; }

    /// <summary>The protocol ("Market-1501 query/gallery" or "all-vs-all ...").</summary>
    public required string Protocol { get; init; }

    /// <summary>Queries evaluated (with at least one true match).</summary>
    public required int Queries { get; init; }

    /// <summary>Queries skipped for having no true match.</summary>
    public required int SkippedQueries { get; init; }

    /// <summary>Gallery crops.</summary>
    public required int Gallery { get; init; }

    /// <summary>CMC at rank 1.</summary>
    public required double Rank1 { get; init; }

    /// <summary>CMC at rank 5.</summary>
    public required double Rank5 { get; init; }

    /// <summary>CMC at rank 10.</summary>
    public required double Rank10 { get; init; }

    /// <summary>Mean average precision.</summary>
    [JsonPropertyName("mAP")]
    public required double MeanAveragePrecision { get; init; }

    /// <summary>Mean inverse negative penalty.</summary>
    [JsonPropertyName("mINP")]
    public required double MeanInverseNegativePenalty { get; init; }

    /// <summary>File name of the results JSON the figures were read from.</summary>
    public required string Source { get; init; }

    /// <summary>One line for the card's <c>scores</c>: "Rank-1 0.512, Rank-5 ..., mAP ..., mINP ... (protocol on data, N queries)".</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"Rank-1 {Rank1:F3}, Rank-5 {Rank5:F3}, Rank-10 {Rank10:F3}, mAP {MeanAveragePrecision:F3}, mINP {MeanInverseNegativePenalty:F3} ({Protocol} on {Data}; {Queries} queries, {Gallery} gallery crops)");

    /// <summary>
    /// Reads the results JSON of <c>eval --json</c> or <c>rank --json</c> (keys rank1, rank5, rank10, mAP, mINP,
    /// evaluatedQueries, skippedQueries, numGallery, protocol, and crops or query/gallery).
    /// </summary>
    /// <exception cref="InvalidDataException">Missing file, not JSON, or a required key missing or not a number (named).</exception>
    public static CardEvaluation FromResultsJson(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"Scores file '{path}' does not exist (give the JSON written by eval --json or rank --json).");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Scores file '{path}' is not JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            double Number(string key) =>
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number
                    ? v.GetDouble()
                    : throw new InvalidDataException($"Scores file '{path}' has no number '{key}'; expected the JSON of eval --json or rank --json.");
            string Folders(string key) =>
                root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array
                    ? string.Join(" + ", v.EnumerateArray().Select(e => ShortName(e.GetString() ?? "")))
                    : root.TryGetProperty(key, out v) && v.ValueKind == JsonValueKind.String ? ShortName(v.GetString()!) : "";
            string data = Folders("crops");
            if (data.Length == 0)
            {
                data = $"query {Folders("query")}, gallery {Folders("gallery")}";
            }

            return new CardEvaluation
            {
                Data = data,
                Protocol = root.TryGetProperty("protocol", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "Market-1501 query/gallery",
                Queries = (int)Number("evaluatedQueries"),
                SkippedQueries = (int)Number("skippedQueries"),
                Gallery = (int)Number("numGallery"),
                Rank1 = Number("rank1"),
                Rank5 = Number("rank5"),
                Rank10 = Number("rank10"),
                MeanAveragePrecision = Number("mAP"),
                MeanInverseNegativePenalty = Number("mINP"),
                Source = Path.GetFileName(path),
            };
        }
    }

    // The last two segments of a folder ("market-mini/query"): enough to name the data, no build host's folders.
    private static string ShortName(string folder)
    {
        var parts = folder.Replace('\\', '/').TrimEnd('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('/', parts.TakeLast(2));
    }
}
