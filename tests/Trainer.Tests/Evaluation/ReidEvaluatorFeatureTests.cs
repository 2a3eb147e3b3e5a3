using SanReid.Trainer.Evaluation;

namespace SanReid.Trainer.Tests.Evaluation;

/// <summary>The feature path against a direct reference: full stable sort of double-precision scores.</summary>
public sealed class ReidEvaluatorFeatureTests
{
    [Theory]
    [InlineData(FeatureMetric.Cosine, 1)]
    [InlineData(FeatureMetric.Cosine, 7)]
    [InlineData(FeatureMetric.Euclidean, 64)]
    public void FeatureScoringMatchesAFullSortReferenceForAnyChunkSize(FeatureMetric metric, int chunk)
    {
        var rng = new Random(1234);
        const int numQuery = 23, numGallery = 150, dim = 19;
        var query = Enumerable.Range(0, numQuery * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var gallery = Enumerable.Range(0, numGallery * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var qPid = Enumerable.Range(0, numQuery).Select(_ => rng.Next(1, 9)).ToArray();
        var qCam = Enumerable.Range(0, numQuery).Select(_ => rng.Next(1, 4)).ToArray();
        var gPid = Enumerable.Range(0, numGallery).Select(_ => rng.Next(-1, 12)).ToArray();
        var gCam = Enumerable.Range(0, numGallery).Select(_ => rng.Next(1, 4)).ToArray();

        var result = ReidEvaluator.Evaluate(query, qPid, qCam, gallery, gPid, gCam, dim, new ReidEvaluationOptions { Metric = metric, QueryChunkSize = chunk });

        var apSum = 0.0;
        var inpSum = 0.0;
        var cmc = new double[50];
        var evaluated = 0;
        for (var q = 0; q < numQuery; q++)
        {
            var scores = Enumerable.Range(0, numGallery).Select(g => Score(query, q, gallery, g, dim, metric)).ToArray();
            var order = Enumerable.Range(0, numGallery)
                .Where(g => gPid[g] != -1 && !(gPid[g] == qPid[q] && gCam[g] == qCam[q]))
                .OrderBy(g => metric == FeatureMetric.Cosine ? -scores[g] : scores[g]) // OrderBy is stable: ties keep index order
                .ToArray();
            var matchRanks = order.Select((g, i) => (g, i)).Where(t => gPid[t.g] == qPid[q]).Select(t => t.i + 1).ToArray();
            Assert.Equal(order.Take(10), result.Queries[q].TopGalleryIndices);
            if (matchRanks.Length == 0)
            {
                Assert.True(result.Queries[q].Skipped);
                continue;
            }

            evaluated++;
            var ap = matchRanks.Select((r, i) => (i + 1) / (double)r).Average();
            Assert.Equal(ap, result.Queries[q].AveragePrecision, 1e-12);
            apSum += ap;
            inpSum += matchRanks.Length / (double)matchRanks[^1];
            for (var k = matchRanks[0] - 1; k < cmc.Length; k++)
            {
                cmc[k]++;
            }
        }

        Assert.True(evaluated > 5, "the random case should have queries with matches");
        Assert.Equal(numQuery - evaluated, result.SkippedQueries);
        Assert.Equal(apSum / evaluated, result.MeanAveragePrecision, 1e-12);
        Assert.Equal(inpSum / evaluated, result.MeanInverseNegativePenalty, 1e-12);
        Assert.Equal(cmc.Select(c => c / evaluated), result.Cmc);
    }

    [Fact]
    public void CosineIgnoresFeatureScaleAndEuclideanDoesNot()
    {
        // Query along x. Gallery 0 (negative) is the same direction but far away; gallery 1 (match) is near but rotated.
        float[] query = [1f, 0f];
        float[] gallery = [10f, 0f, 0.9f, 0.3f];

        var cosine = ReidEvaluator.Evaluate(query, [1], [1], gallery, [2, 1], [2, 2], 2, new ReidEvaluationOptions { Metric = FeatureMetric.Cosine });
        var euclidean = ReidEvaluator.Evaluate(query, [1], [1], gallery, [2, 1], [2, 2], 2, new ReidEvaluationOptions { Metric = FeatureMetric.Euclidean });

        Assert.Equal(2, cosine.Queries[0].FirstMatchRank);
        Assert.Equal(1, euclidean.Queries[0].FirstMatchRank);
    }

    private static double Score(float[] query, int q, float[] gallery, int g, int dim, FeatureMetric metric)
    {
        double dot = 0, qq = 0, gg = 0;
        for (var k = 0; k < dim; k++)
        {
            double a = query[q * dim + k], b = gallery[g * dim + k];
            dot += a * b;
            qq += a * a;
            gg += b * b;
        }

        return metric == FeatureMetric.Cosine ? dot / Math.Sqrt(qq * gg) : qq + gg - 2 * dot;
    }
}
