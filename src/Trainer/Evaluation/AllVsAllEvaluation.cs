using SanReid.Trainer.Data;

namespace SanReid.Trainer.Evaluation;

/// <summary>The outcome of <see cref="AllVsAllEvaluation.Evaluate"/>.</summary>
/// <param name="Crops">All crops (the gallery), in input order.</param>
/// <param name="QueryRows">For each query of <see cref="Evaluation"/> (QueryIndex i), its row in <see cref="Crops"/>.</param>
/// <param name="Evaluation">CMC, mAP, mINP and per-query rankings; gallery indices are rows of <see cref="Crops"/>.</param>
/// <param name="Distractors">Crops with pid 0 (never queries; negatives for every query).</param>
/// <param name="Junk">Crops with pid -1 (never queries; removed from every ranking).</param>
public sealed record AllVsAllResult(
    IReadOnlyList<ReidImage> Crops, int[] QueryRows, ReidEvaluationResult Evaluation, int Distractors, int Junk);

/// <summary>
/// All-vs-all re-ID evaluation of one set of crops (issue 15's decision rule for the real crops): every crop of a
/// labelled identity (pid &gt; 0) is a query against all crops; by the Market-1501 rules of <see cref="ReidEvaluator"/>
/// the query itself and the other crops of its pid and camera are junk (removed), pid -1 crops are junk, pid 0
/// crops are distractors (negatives), and a query with no crop of its pid in another camera is skipped and counted.
/// </summary>
public static class AllVsAllEvaluation
{
    /// <summary>The protocol in one line (reports and model cards).</summary>
    public const string Protocol =
        "all-vs-all: each crop whose pid appears in another camera queries all other crops; same pid + same camera and pid -1 are junk, 0000 distractors";

    /// <summary>Evaluates <paramref name="features"/> of <paramref name="crops"/> all against all.</summary>
    /// <param name="crops">The crops (pid, camera).</param>
    /// <param name="features">Row-major [crops, dimension] features.</param>
    /// <param name="dimension">D.</param>
    /// <param name="options">Metric (cosine by default), CMC length, ranked-list length.</param>
    /// <exception cref="ArgumentException">Lengths disagree, no crop, or non-finite features.</exception>
    /// <exception cref="NoTrueMatchException">No identity appears in two cameras (nothing to evaluate); carries the skipped rankings.</exception>
    public static AllVsAllResult Evaluate(IReadOnlyList<ReidImage> crops, float[] features, int dimension, ReidEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(crops);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length != crops.Count * dimension)
        {
            throw new ArgumentException($"Expected {crops.Count} x {dimension} features, got {features.Length} values.", nameof(features));
        }

        var rows = Enumerable.Range(0, crops.Count).Where(i => crops[i].Pid > 0).ToArray();
        if (rows.Length == 0)
        {
            throw new NoTrueMatchException($"None of the {crops.Count} crops has a labelled identity (pid > 0); nothing to query.", []);
        }

        var queryFeatures = new float[rows.Length * dimension];
        for (int q = 0; q < rows.Length; q++)
        {
            Array.Copy(features, rows[q] * dimension, queryFeatures, q * dimension, dimension);
        }

        var evaluation = ReidEvaluator.Evaluate(
            queryFeatures, rows.Select(r => crops[r].Pid).ToArray(), rows.Select(r => crops[r].CamId).ToArray(),
            features, crops.Select(c => c.Pid).ToArray(), crops.Select(c => c.CamId).ToArray(), dimension, options);
        return new AllVsAllResult(crops, rows, evaluation, crops.Count(c => c.Pid == 0), crops.Count(c => c.Pid == -1));
    }
}
