namespace SanReid.Trainer.Evaluation;

/// <summary>
/// No query has a true match in the gallery (Market-1501 protocol: same pid, another camera), so CMC, mAP and mINP are
/// undefined. Carries the per-query rankings (all skipped) so a caller can still show them.
/// </summary>
public sealed class NoTrueMatchException(string message, IReadOnlyList<QueryRanking> queries) : InvalidOperationException(message)
{
    /// <summary>The ranking of every query, in input order; each has <see cref="QueryRanking.Skipped"/> set.</summary>
    public IReadOnlyList<QueryRanking> Queries { get; } = queries;
}
