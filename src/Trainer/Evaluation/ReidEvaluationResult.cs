using SanReid.Inference.Ranking;

namespace SanReid.Trainer.Evaluation;

/// <summary>How a score matrix orders the gallery for a query.</summary>
public enum ScoreKind
{
    /// <summary>Smaller is better (e.g. Euclidean distance).</summary>
    Distance,

    /// <summary>Larger is better (e.g. cosine similarity).</summary>
    Similarity,
}

/// <summary>How <see cref="ReidEvaluator.Evaluate"/> turns features into scores.</summary>
public enum FeatureMetric
{
    /// <summary>Cosine similarity: dot product of L2-normalised copies of the features (a zero vector stays zero). Larger is better.</summary>
    Cosine,

    /// <summary>Squared Euclidean distance |q|^2 + |g|^2 - 2 q.g on the features as given. Smaller is better.</summary>
    Euclidean,
}

/// <summary>Settings of <see cref="ReidEvaluator"/>.</summary>
public sealed record ReidEvaluationOptions
{
    /// <summary>Length of the reported CMC curve (ranks 1..MaxRank). Must be at least 10 so rank-10 exists. Default 50.</summary>
    public int MaxRank { get; init; } = 50;

    /// <summary>Length of each query's ranked list in <see cref="QueryRanking.TopGalleryIndices"/>; 0 keeps none. Default 10.</summary>
    public int TopK { get; init; } = 10;

    /// <summary>
    /// Queries scored at a time when scoring from features: memory for scores is QueryChunkSize x gallery floats
    /// (64 x 82,161 x 4 B = 21 MB for MSMT17). Default 64.
    /// </summary>
    public int QueryChunkSize { get; init; } = 64;

    /// <summary>Feature scoring used by <see cref="ReidEvaluator.Evaluate"/>. Default cosine.</summary>
    public FeatureMetric Metric { get; init; } = FeatureMetric.Cosine;

    /// <summary>Threads used; -1 lets the runtime choose. Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>
    /// k-reciprocal re-ranking (Zhong et al., CVPR 2017) of the feature scores before evaluation; null = none. Used by
    /// <see cref="ReidEvaluator.Evaluate"/> only (scores from features); its distances are squared Euclidean on the
    /// features as scored (unit-length under <see cref="FeatureMetric.Cosine"/>).
    /// </summary>
    public KReciprocalOptions? Rerank { get; init; }
}

/// <summary>The ranking of the gallery for one query, after junk removal.</summary>
/// <param name="QueryIndex">Row of the query in the inputs.</param>
/// <param name="Skipped">True when the gallery holds no true match for this query; it is left out of CMC, mAP and mINP.</param>
/// <param name="NumMatches">True matches in the gallery (same pid, other camera).</param>
/// <param name="NumValidGallery">Gallery items ranked for this query (junk removed).</param>
/// <param name="FirstMatchRank">1-based rank of the first true match; 0 when skipped.</param>
/// <param name="AveragePrecision">AP in [0, 1]; 0 when skipped.</param>
/// <param name="InverseNegativePenalty">INP = NumMatches / rank of the last true match, in (0, 1]; 0 when skipped.</param>
/// <param name="TopGalleryIndices">Gallery rows of the best min(TopK, NumValidGallery) valid items, best first.</param>
/// <param name="TopIsMatch">For each entry of <paramref name="TopGalleryIndices"/>: is it a true match.</param>
public sealed record QueryRanking(
    int QueryIndex,
    bool Skipped,
    int NumMatches,
    int NumValidGallery,
    int FirstMatchRank,
    double AveragePrecision,
    double InverseNegativePenalty,
    int[] TopGalleryIndices,
    bool[] TopIsMatch);

/// <summary>
/// CMC, mAP and mINP over the queries that have a true match (Market-1501 protocol), with the count of queries skipped.
/// All rates are fractions in [0, 1].
/// </summary>
public sealed record ReidEvaluationResult
{
    /// <summary>Queries given.</summary>
    public required int NumQueries { get; init; }

    /// <summary>Gallery items given (junk included).</summary>
    public required int NumGallery { get; init; }

    /// <summary>Queries with at least one true match; the metrics average over these.</summary>
    public required int EvaluatedQueries { get; init; }

    /// <summary>Queries skipped because the gallery holds no true match for them (reported, not hidden).</summary>
    public required int SkippedQueries { get; init; }

    /// <summary>CMC curve: Cmc[k-1] = fraction of evaluated queries whose first true match is within the top k; length MaxRank.</summary>
    public required double[] Cmc { get; init; }

    /// <summary>CMC at rank 1.</summary>
    public double Rank1 => Cmc[0];

    /// <summary>CMC at rank 5.</summary>
    public double Rank5 => Cmc[4];

    /// <summary>CMC at rank 10.</summary>
    public double Rank10 => Cmc[9];

    /// <summary>Mean average precision over evaluated queries.</summary>
    public required double MeanAveragePrecision { get; init; }

    /// <summary>
    /// Mean inverse negative penalty (Ye et al., "Deep Learning for Person Re-identification: A Survey and Outlook",
    /// TPAMI 2021): mean over evaluated queries of NumMatches / rank of the hardest true match.
    /// </summary>
    public required double MeanInverseNegativePenalty { get; init; }

    /// <summary>Per-query rankings, one per query in input order (skipped queries included, flagged).</summary>
    public required IReadOnlyList<QueryRanking> Queries { get; init; }

    /// <summary>With k-reciprocal re-ranking: non-zeros of its sparse encodings over query and gallery (16 bytes each); null without.</summary>
    public long? RerankNonZeros { get; init; }
}
