using SanReid.Inference.Ranking;
using SanReid.Trainer.Evaluation;

namespace SanReid.Trainer.Tests.Evaluation;

/// <summary>The evaluator with k-reciprocal re-ranking (the re-ranking itself: tests/Inference.Tests/Ranking).</summary>
public sealed class RerankedEvaluationTests
{
    // One query and four gallery items on a line (D = 1): q = 0; g1 = 1, g2 = 1.5, g3 = -1.2, g4 = 3 (the hand case of
    // Inference.Tests' KReciprocalRerankingTests: re-ranked d* = .418752, .638802, .391995, 1).
    private static readonly float[] HandQuery = [0f];
    private static readonly float[] HandGallery = [1f, 1.5f, -1.2f, 3f];

    [Fact]
    public void EvaluationWithRerankingPutsTheReciprocalMatchFirst()
    {
        // The hand case with labels: g3 is the query's person (pid 1, another camera); g1, g2, g4 are others.
        // Euclidean ranking: g1 (1) before g3 (1.44): rank-1 0, AP 1/2. Re-ranked (.418752 > .391995): rank-1 1, AP 1.
        int[] qPid = [1], qCam = [1], gPid = [2, 3, 1, 4], gCam = [2, 2, 2, 2];
        var plain = new ReidEvaluationOptions { Metric = FeatureMetric.Euclidean };

        var before = ReidEvaluator.Evaluate(HandQuery, qPid, qCam, HandGallery, gPid, gCam, 1, plain);
        var after = ReidEvaluator.Evaluate(HandQuery, qPid, qCam, HandGallery, gPid, gCam, 1, plain with { Rerank = new KReciprocalOptions { K1 = 2, K2 = 1 } });

        Assert.Equal((0.0, 0.5), (before.Rank1, before.MeanAveragePrecision));
        Assert.Equal((1.0, 1.0), (after.Rank1, after.MeanAveragePrecision));
        Assert.Null(before.RerankNonZeros);
        Assert.Equal(11, after.RerankNonZeros);
    }

    [Fact]
    public void QueryChunksOfTheEvaluatorDoNotChangeTheResult()
    {
        var random = new Random(3);
        const int q = 11, g = 40, dim = 4;
        var query = Enumerable.Range(0, q * dim).Select(_ => (float)random.NextDouble()).ToArray();
        var gallery = Enumerable.Range(0, g * dim).Select(_ => (float)random.NextDouble()).ToArray();
        var qPid = Enumerable.Range(0, q).Select(i => i % 5).ToArray();
        var gPid = Enumerable.Range(0, g).Select(i => i % 5).ToArray();
        var qCam = Enumerable.Repeat(1, q).ToArray();
        var gCam = Enumerable.Repeat(2, g).ToArray();

        var whole = ReidEvaluator.Evaluate(query, qPid, qCam, gallery, gPid, gCam, dim, new ReidEvaluationOptions { Rerank = new KReciprocalOptions(), QueryChunkSize = 64 });
        var chunked = ReidEvaluator.Evaluate(query, qPid, qCam, gallery, gPid, gCam, dim, new ReidEvaluationOptions { Rerank = new KReciprocalOptions(), QueryChunkSize = 3, MaxDegreeOfParallelism = 1 });

        Assert.Equal(whole.Cmc, chunked.Cmc);
        Assert.Equal(whole.MeanAveragePrecision, chunked.MeanAveragePrecision);
        Assert.Equal(whole.Queries.Select(r => r.TopGalleryIndices), chunked.Queries.Select(r => r.TopGalleryIndices));
    }
}
