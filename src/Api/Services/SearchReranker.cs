using SanReid.Index;
using SanReid.Inference.Ranking;

namespace SanReid.Api.Services;

/// <summary>
/// <c>rerank=true</c> on <c>POST /api/v1/search</c>: k-reciprocal re-ranking (Zhong et al., CVPR 2017; k1 20, k2 6,
/// lambda 0.3) of the cosine shortlist, with the candidates' stored embeddings (<see cref="GalleryStore.GetEmbedding"/>),
/// among the query and its candidates only (<see cref="CandidateReranking"/>).
/// </summary>
/// <remarks>The shortlist is the top max(k, <c>SanReid:Search:RerankCandidates</c>) hits (100 by default) after the
/// request's filters and min_score. Cost per query: (1 + C)^2 dot products of the embedding width plus the sparse
/// encodings; measured figures in docs/search-reranking.md. A candidate deleted between the search and the re-ranking is
/// left out.</remarks>
public sealed class SearchReranker
{
    /// <summary>Re-ranks <paramref name="shortlist"/> and returns its best <paramref name="k"/> by re-ranked distance.</summary>
    /// <param name="store">The gallery the shortlist came from.</param>
    /// <param name="query">The query embedding (unit length).</param>
    /// <param name="shortlist">The cosine hits, best first.</param>
    /// <param name="k">Matches wanted (at most the shortlist's size come back).</param>
    /// <returns>Matches with their re-ranked distance in [0, 1], ascending.</returns>
    public IReadOnlyList<(GalleryMatch Match, float Distance)> Rerank(GalleryStore store, float[] query, IReadOnlyList<GalleryMatch> shortlist, int k)
    {
        var kept = new List<GalleryMatch>(shortlist.Count);
        var embeddings = new List<float>(shortlist.Count * query.Length);
        foreach (var match in shortlist)
        {
            if (store.GetEmbedding(match.Item.Id) is { } embedding)
            {
                kept.Add(match);
                embeddings.AddRange(embedding);
            }
        }

        if (kept.Count == 0)
        {
            return [];
        }

        return [.. CandidateReranking.Rerank(query, [.. embeddings]).Take(k).Select(c => (kept[c.Candidate], c.Distance))];
    }
}
