using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;

namespace SanReid.Trainer.Tests.Evaluation;

/// <summary>
/// The all-vs-all protocol on a hand-made set. Features are unit vectors at the given angles, so cosine order is
/// angle-difference order and each ranking is read off the angles (no ties).
/// </summary>
public class AllVsAllEvaluationTests
{
    // row: pid, camera, angle in degrees
    private static readonly (int Pid, int Cam, double Angle)[] Set =
    [
        (1, 1, 0),   // 0
        (1, 1, 5),   // 1: same pid and camera as row 0
        (1, 2, 30),  // 2
        (2, 1, 10),  // 3
        (2, 2, 65),  // 4
        (0, 3, 22),  // 5: distractor
        (-1, 1, 1),  // 6: junk, nearest to row 0
        (3, 1, 90),  // 7: pid 3 is seen by one camera only
    ];

    [Fact]
    public void EveryLabelledCropQueriesTheOthersWithSelfSameCameraAndJunkRemovedAndDistractorsAsNegatives()
    {
        var crops = Set.Select((c, i) => new ReidImage($"{i}.jpg", c.Pid, c.Cam)).ToArray();
        var features = Set.SelectMany(c => new[] { (float)Math.Cos(c.Angle * Math.PI / 180), (float)Math.Sin(c.Angle * Math.PI / 180) }).ToArray();

        var result = AllVsAllEvaluation.Evaluate(crops, features, 2);

        // Queries are the pid > 0 rows 0, 1, 2, 3, 4, 7; row 7 has no crop of pid 3 in another camera: skipped.
        Assert.Equal([0, 1, 2, 3, 4, 7], result.QueryRows);
        var e = result.Evaluation;
        Assert.Equal((6, 8, 5, 1), (e.NumQueries, e.NumGallery, e.EvaluatedQueries, e.SkippedQueries));
        Assert.Equal((1, 1), (result.Distractors, result.Junk));
        // Ranked lists (angle distance), without self, same pid + camera, and pid -1:
        // q0 (0):  3(10) 5(22) 2(30) 4(65) 7(90)        -> match 2 at rank 3; AP 1/3, INP 1/3
        // q1 (5):  3(5) 5(17) 2(25) 4(60) 7(85)         -> match 2 at rank 3; AP 1/3, INP 1/3
        // q2 (30): 5(8) 3(20) 1(25) 0(30) 4(35) 7(60)   -> matches 1, 0 at ranks 3, 4; AP (1/3 + 2/4)/2 = 5/12, INP 2/4
        // q3 (10): 1(5) 0(10) 5(12) 2(20) 4(55) 7(80)   -> match 4 at rank 5; AP 1/5, INP 1/5
        // q4 (65): 7(25) 2(35) 5(43) 3(55) 1(60) 0(65)  -> match 3 at rank 4; AP 1/4, INP 1/4
        var evaluated = e.Queries.Where(q => !q.Skipped).ToArray();
        Assert.Equal([3, 3, 3, 5, 4], evaluated.Select(q => q.FirstMatchRank));
        Assert.Equal([5, 5, 6, 6, 6], evaluated.Select(q => q.NumValidGallery));
        Assert.Equal([3, 5, 2, 4, 7], e.Queries[0].TopGalleryIndices);
        Assert.Equal(1.0 / 3, evaluated[0].AveragePrecision, 9);
        Assert.Equal(5.0 / 12, evaluated[2].AveragePrecision, 9);
        Assert.True(e.Queries[5].Skipped);
        Assert.Equal(0, e.Rank1);                     // no first match at rank 1
        Assert.Equal(3.0 / 5, e.Cmc[2], 9);           // ranks 3, 3, 3 within the top 3
        Assert.Equal(1, e.Rank5);
        Assert.Equal((1.0 / 3 + 1.0 / 3 + 5.0 / 12 + 1.0 / 5 + 1.0 / 4) / 5, e.MeanAveragePrecision, 9);      // 0.306667
        Assert.Equal((1.0 / 3 + 1.0 / 3 + 2.0 / 4 + 1.0 / 5 + 1.0 / 4) / 5, e.MeanInverseNegativePenalty, 9); // 0.323333
    }

    [Fact]
    public void ASetWhereNoIdentityCrossesCamerasHasNothingToEvaluate()
    {
        var crops = new[] { new ReidImage("a.jpg", 1, 1), new ReidImage("b.jpg", 1, 1), new ReidImage("c.jpg", 0, 2) };

        var error = Assert.Throws<NoTrueMatchException>(() => AllVsAllEvaluation.Evaluate(crops, [1, 0, 0, 1, 1, 1], 2));

        Assert.Equal(2, error.Queries.Count);
        Assert.All(error.Queries, q => Assert.True(q.Skipped));
    }

    [Fact]
    public void CropPoolReadsRootsAndFlatFoldersAndDropsRepeatedFileNames()
    {
        var root = Directory.CreateTempSubdirectory("sanreid-pool-").FullName;
        try
        {
            var market = Path.Combine(root, "market");
            var flat = Path.Combine(root, "flat");
            foreach (var (dir, name) in new[]
                     {
                         (Path.Combine(market, "query"), "0001_c1s1_000100_00.jpg"),
                         (Path.Combine(market, "bounding_box_test"), "0001_c2s1_000200_00.jpg"),
                         (Path.Combine(market, "bounding_box_train"), "0005_c2s1_000200_00.jpg"), // not a test folder: not read
                         (flat, "0001_c1s1_000100_00.jpg"),                                       // same file name: dropped
                         (flat, "0002_c3s1_000300_00.jpg"),
                     })
            {
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, name), []);
            }

            var set = CropPool.List([market, flat]);

            Assert.Equal(["0001_c1s1_000100_00.jpg", "0001_c2s1_000200_00.jpg", "0002_c3s1_000300_00.jpg"], set.Crops.Select(c => Path.GetFileName(c.Path)));
            Assert.Equal(1, set.DuplicatesDropped);
            Assert.Equal(3, set.Folders.Count);
            Assert.Throws<ReidDatasetException>(() => CropPool.List([Path.Combine(market, "bounding_box_train", "..", "nowhere")]));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
