using System.Text.Json;
using System.Text.Json.Nodes;
using SanReid.Inference;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Evaluation;

/// <summary>
/// The results JSON of <c>eval --json</c> and <c>rank --json</c>: what was evaluated, the counts, CMC rank-1/5/10, mAP,
/// mINP (fractions in [0, 1]; null when no query has a true match) and a per-query table. camelCase keys; export's
/// <c>--scores-json</c> reads it (see Export.CardEvaluation).
/// </summary>
public static class EvaluationReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds the report.</summary>
    /// <param name="header">Leading keys (model or weights, protocol, folders, input size, ...), in order.</param>
    /// <param name="result">The evaluation.</param>
    /// <param name="queries">Query crops, indexed by <see cref="QueryRanking.QueryIndex"/>.</param>
    /// <param name="gallery">Gallery crops, indexed by the rankings' gallery indices.</param>
    public static JsonObject Build(IEnumerable<KeyValuePair<string, JsonNode?>> header, ReidEvaluationResult result,
        IReadOnlyList<ReidImage> queries, IReadOnlyList<ReidImage> gallery)
    {
        var report = new JsonObject();
        foreach (var (key, value) in header)
        {
            report[key] = value;
        }

        bool defined = result.EvaluatedQueries > 0;
        JsonNode? Rate(double value) => defined ? JsonValue.Create(value) : null;
        report["numQueries"] = result.NumQueries;
        report["numGallery"] = result.NumGallery;
        report["evaluatedQueries"] = result.EvaluatedQueries;
        report["skippedQueries"] = result.SkippedQueries;
        report["rank1"] = Rate(result.Rank1);
        report["rank5"] = Rate(result.Rank5);
        report["rank10"] = Rate(result.Rank10);
        report["mAP"] = Rate(result.MeanAveragePrecision);
        report["mINP"] = Rate(result.MeanInverseNegativePenalty);
        report["cmc"] = defined ? new JsonArray(result.Cmc.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()) : null;
        var table = new JsonArray();
        foreach (var q in result.Queries)
        {
            var image = queries[q.QueryIndex];
            table.Add(new JsonObject
            {
                ["query"] = Path.GetFileName(image.Path),
                ["pid"] = image.Pid,
                ["camid"] = image.CamId,
                ["skipped"] = q.Skipped,
                ["numMatches"] = q.NumMatches,
                ["numRanked"] = q.NumValidGallery,
                ["firstMatchRank"] = q.Skipped ? null : q.FirstMatchRank,
                ["ap"] = q.Skipped ? null : q.AveragePrecision,
                ["inp"] = q.Skipped ? null : q.InverseNegativePenalty,
                ["top"] = new JsonArray(q.TopGalleryIndices.Select(g => (JsonNode?)JsonValue.Create(Path.GetFileName(gallery[g].Path))).ToArray()),
            });
        }

        report["perQuery"] = table;
        return report;
    }

    /// <summary>Writes the report as indented JSON.</summary>
    public static void Write(string path, JsonObject report) => File.WriteAllText(path, report.ToJsonString(Indented) + "\n");
}
