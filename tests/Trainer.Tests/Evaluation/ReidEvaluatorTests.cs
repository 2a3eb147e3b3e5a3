using SanReid.Trainer.Evaluation;

namespace SanReid.Trainer.Tests.Evaluation;

/// <summary>Hand-worked cases of the Market-1501 protocol. Distances are chosen so the ranking is read off directly.</summary>
public sealed class ReidEvaluatorTests
{
    private const double Tol = 1e-12;

    /// <summary>One query (pid, camid) against a gallery of (pid, camid, distance).</summary>
    private static ReidEvaluationResult EvaluateOne(int qPid, int qCam, params (int Pid, int Cam, float Distance)[] gallery) =>
        ReidEvaluator.EvaluateScores(
            gallery.Select(g => g.Distance).ToArray(),
            ScoreKind.Distance,
            [qPid],
            [qCam],
            gallery.Select(g => g.Pid).ToArray(),
            gallery.Select(g => g.Cam).ToArray());

    [Fact]
    public void JunkPidMinusOneIsIgnored()
    {
        // -1 is closest; were it a negative, the true match would sit at rank 2.
        var result = EvaluateOne(1, 1, (-1, 2, 0.1f), (1, 2, 0.2f), (2, 3, 0.3f));

        Assert.Equal(1.0, result.Rank1, Tol);
        Assert.Equal(1.0, result.MeanAveragePrecision, Tol);
        Assert.Equal(2, result.Queries[0].NumValidGallery);
        Assert.Equal([1, 2], result.Queries[0].TopGalleryIndices);
    }

    [Fact]
    public void DistractorZeroCountsAsANegative()
    {
        var result = EvaluateOne(1, 1, (0, 2, 0.1f), (1, 2, 0.2f));

        // Match at rank 2: rank-1 0, AP = 1/2, INP = 1/2.
        Assert.Equal(0.0, result.Rank1, Tol);
        Assert.Equal(1.0, result.Rank5, Tol);
        Assert.Equal(0.5, result.MeanAveragePrecision, Tol);
        Assert.Equal(0.5, result.MeanInverseNegativePenalty, Tol);
        Assert.Equal([false, true], result.Queries[0].TopIsMatch);
    }

    [Fact]
    public void SameIdentityOnTheQueryCameraIsRemovedButOtherIdentitiesOnItStay()
    {
        // (3, c1) is a negative on the query camera; (1, c1) is junk; (1, c2) is the one true match.
        var result = EvaluateOne(1, 1, (3, 1, 0.05f), (1, 1, 0.1f), (1, 2, 0.2f));

        Assert.Equal(1, result.Queries[0].NumMatches);
        Assert.Equal(2, result.Queries[0].FirstMatchRank);
        Assert.Equal(0.5, result.MeanAveragePrecision, Tol);
        Assert.Equal([0, 2], result.Queries[0].TopGalleryIndices);
    }

    [Fact]
    public void AQueryWithoutATrueMatchIsSkippedAndCounted()
    {
        // Query 0 (pid 1, c1) has its match at rank 1; query 1 (pid 5, c1) appears only on its own camera.
        int[] gPid = [1, 5, 2];
        int[] gCam = [2, 1, 3];
        float[] scores =
        [
            0.1f, 0.2f, 0.3f,
            0.3f, 0.1f, 0.2f,
        ];

        var result = ReidEvaluator.EvaluateScores(scores, ScoreKind.Distance, [1, 5], [1, 1], gPid, gCam);

        Assert.Equal(2, result.NumQueries);
        Assert.Equal(1, result.EvaluatedQueries);
        Assert.Equal(1, result.SkippedQueries);
        Assert.True(result.Queries[1].Skipped);
        Assert.Equal(0, result.Queries[1].NumMatches);
        Assert.Equal(1.0, result.Rank1, Tol);
        Assert.Equal(1.0, result.MeanAveragePrecision, Tol);
        Assert.Equal([2, 0], result.Queries[1].TopGalleryIndices);
    }

    [Fact]
    public void AGallerySmallerThanTheLargestRankGivesAFullLengthCurve()
    {
        var result = EvaluateOne(1, 1, (2, 2, 0.1f), (1, 3, 0.2f));

        Assert.Equal(50, result.Cmc.Length);
        Assert.Equal(0.0, result.Cmc[0], Tol);
        Assert.All(result.Cmc.Skip(1), c => Assert.Equal(1.0, c, Tol));
        Assert.Equal(1.0, result.Rank10, Tol);
        Assert.Equal(2, result.Queries[0].TopGalleryIndices.Length);
    }

    [Fact]
    public void TiesAreBrokenByAscendingGalleryIndex()
    {
        // Same distance for a negative and the match: whichever has the smaller gallery index ranks first.
        var negativeFirst = EvaluateOne(1, 1, (2, 2, 0.5f), (1, 2, 0.5f));
        var matchFirst = EvaluateOne(1, 1, (1, 2, 0.5f), (2, 2, 0.5f));

        Assert.Equal(2, negativeFirst.Queries[0].FirstMatchRank);
        Assert.Equal(0.5, negativeFirst.MeanAveragePrecision, Tol);
        Assert.Equal([0, 1], negativeFirst.Queries[0].TopGalleryIndices);
        Assert.Equal(1, matchFirst.Queries[0].FirstMatchRank);
        Assert.Equal(1.0, matchFirst.MeanAveragePrecision, Tol);
    }

    [Fact]
    public void TiesAmongMatchesAndNegativesFollowGalleryIndexForSimilaritiesToo()
    {
        // Similarities: all four tie; valid order = index order 0 (neg), 1 (match), 2 (neg), 3 (match).
        var result = ReidEvaluator.EvaluateScores([0.7f, 0.7f, 0.7f, 0.7f], ScoreKind.Similarity, [1], [1], [2, 1, 3, 1], [2, 2, 2, 3]);

        // AP = (1/2 + 2/4) / 2 = 0.5; INP = 2/4.
        Assert.Equal(2, result.Queries[0].FirstMatchRank);
        Assert.Equal(0.5, result.MeanAveragePrecision, Tol);
        Assert.Equal(0.5, result.MeanInverseNegativePenalty, Tol);
        Assert.Equal([0, 1, 2, 3], result.Queries[0].TopGalleryIndices);
    }

    [Fact]
    public void MeanAveragePrecisionAndMinpMatchHandWorkedValues()
    {
        // Query 0 (pid 1, c1): valid ranking M N M N N M -> matches at ranks 1, 3, 6.
        //   AP = (1/1 + 2/3 + 3/6) / 3 = 13/18; INP = 3/6.
        // Query 1 (pid 2, c2): ranking N M -> match at rank 2: AP = 1/2, INP = 1/2.
        // mAP = (13/18 + 1/2) / 2 = 11/18; mINP = 1/2; rank-1 = 1/2; rank-5 = 1.
        int[] gPid = [1, 9, 1, 9, 9, 1, 2];
        int[] gCam = [2, 3, 3, 4, 5, 6, 3];
        float[] scores =
        [
            0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.9f,
            0.9f, 0.1f, 0.9f, 0.9f, 0.9f, 0.9f, 0.2f,
        ];

        var result = ReidEvaluator.EvaluateScores(scores, ScoreKind.Distance, [1, 2], [1, 2], gPid, gCam);

        Assert.Equal(13.0 / 18, result.Queries[0].AveragePrecision, Tol);
        Assert.Equal(0.5, result.Queries[0].InverseNegativePenalty, Tol);
        Assert.Equal(11.0 / 18, result.MeanAveragePrecision, Tol);
        Assert.Equal(0.5, result.MeanInverseNegativePenalty, Tol);
        Assert.Equal(0.5, result.Rank1, Tol);
        Assert.Equal(1.0, result.Rank5, Tol);
        Assert.Equal(0, result.SkippedQueries);
    }

    [Fact]
    public void RankedListHoldsTheTopKValidItemsBestFirst()
    {
        var result = ReidEvaluator.EvaluateScores(
            [0.5f, 0.1f, 0.4f, 0.3f, 0.2f],
            ScoreKind.Distance,
            [1],
            [1],
            [2, -1, 1, 3, 1],
            [2, 2, 2, 2, 1],
            new ReidEvaluationOptions { TopK = 2 });

        // Valid: 0 (0.5), 2 (0.4, match), 3 (0.3); junk 1 and 4.
        Assert.Equal([3, 2], result.Queries[0].TopGalleryIndices);
        Assert.Equal([false, true], result.Queries[0].TopIsMatch);
    }

    [Fact]
    public void NoQueryWithATrueMatchIsAnError()
    {
        var error = Assert.Throws<NoTrueMatchException>(() => EvaluateOne(1, 1, (2, 2, 0.1f), (1, 1, 0.2f)));

        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Contains("No query has a true match", error.Message);
        var ranking = Assert.Single(error.Queries); // the rankings come with the error, for callers that show them
        Assert.True(ranking.Skipped);
        Assert.Equal([0], ranking.TopGalleryIndices); // gallery 0 (pid 2, camera 2) is a negative; gallery 1 is junk
    }

    [Fact]
    public void ANaNScoreIsAnErrorNamingTheQueryAndGalleryItem()
    {
        var error = Assert.Throws<ArgumentException>(() => EvaluateOne(1, 1, (1, 2, 0.1f), (2, 2, float.NaN)));

        Assert.Contains("query 0", error.Message);
        Assert.Contains("gallery item 1", error.Message);
    }

    [Fact]
    public void MismatchedLengthsAreAnError()
    {
        Assert.Throws<ArgumentException>(() => ReidEvaluator.EvaluateScores([0.1f, 0.2f], ScoreKind.Distance, [1], [1], [1, 2, 3], [2, 2, 2]));
        Assert.Throws<ArgumentException>(() => ReidEvaluator.EvaluateScores([0.1f], ScoreKind.Distance, [1], [1], [1], [2, 2]));
        Assert.Throws<ArgumentException>(() => ReidEvaluator.Evaluate([1f, 0f], [1], [1], [1f, 0f, 0f], [1], [2], 2));
    }

    [Fact]
    public void ANonFiniteFeatureIsAnErrorNamingTheRow()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ReidEvaluator.Evaluate([1f, 0f], [1], [1], [1f, 0f, 0f, float.PositiveInfinity], [1, 2], [2, 2], 2));

        Assert.Contains("gallery feature of row 1", error.Message);
    }
}
