using SanReid.Inference.Ranking;

namespace SanReid.Inference.Tests.Ranking;

public sealed class CandidateRerankingTests
{
    [Fact]
    public void TheHandCaseShortlistComesBackInReRankedOrder()
    {
        // The hand case of KReciprocalRerankingTests (k1 2, k2 1, lambda 0.3): d* of g1..g4 = .418752, .638802, .391995, 1.
        // Cosine-like order by d was g1 (1), g3 (1.44), g2 (2.25), g4 (9); re-ranked: g3, g1, g2, g4.
        var options = new KReciprocalOptions { K1 = 2, K2 = 1, Lambda = 0.3 };

        var order = CandidateReranking.Rerank(KReciprocalRerankingTests.HandQuery, KReciprocalRerankingTests.HandGallery, options);

        Assert.Equal([2, 0, 1, 3], order.Select(c => c.Candidate));
        Assert.Equal([0.391995f, 0.418752f, 0.638802f, 1f], order.Select(c => c.Distance), (a, b) => Math.Abs(a - b) < 5e-6f);
    }

    [Fact]
    public void AShortlistSmallerThanK1WorksWithThePaperSettings()
    {
        // Three unit vectors in 2-D and a query; 1 + 3 items < k1 + 1 = 21, so k1 shrinks to 3 and k2 to 4: every item
        // is in every neighbourhood, and query expansion over all 4 items gives every item the same encoding V.
        // Then S = sum min(V, V) = 1, d_J = 0, and d* = lambda d~: d(q, .) = .4, 2, 4 (squared), row max 4,
        // d~ = .1, .5, 1 -> d* = .03, .15, .3.
        float[] query = [1f, 0f];
        float[] candidates = [0.8f, 0.6f, 0f, 1f, -1f, 0f];

        var order = CandidateReranking.Rerank(query, candidates);

        Assert.Equal(3, order.Length);
        Assert.Equal([0, 1, 2], order.Select(c => c.Candidate));
        Assert.Equal([0.03f, 0.15f, 0.3f], order.Select(c => c.Distance), (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    [Fact]
    public void CandidatesOfAnotherLengthAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => CandidateReranking.Rerank([1f, 0f], [1f, 0f, 0f]));
        Assert.Contains("multiple of dimension 2", e.Message, StringComparison.Ordinal);
    }
}
