using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Tests.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SanReid.Trainer.Tests.Evaluation;

public sealed class RankedListImageTests : IDisposable
{
    private readonly string output = Directory.CreateTempSubdirectory("sanreid-ranked-").FullName;

    public void Dispose() => Directory.Delete(output, recursive: true);

    [SharedDataFact("data/market-mini")]
    public void FramesTheQueryBlueTrueMatchesGreenAndOthersRed()
    {
        var root = SharedData.Require("data/market-mini");
        var query = Path.Combine(root, "query", "0003_c1s6_015971_00.jpg");
        string[] gallery = [Path.Combine(root, "bounding_box_test", "0003_c3s3_064744_03.jpg"), Path.Combine(root, "bounding_box_test", "0934_c6s2_115593_07.jpg")];
        var png = Path.Combine(output, "sub", "ranked.png");

        RankedListImage.Write(png, query, gallery, [true, false], new CropReader(64, 32));

        using var image = Image.Load<Rgb24>(png);
        // Layout: 6 px margin, tiles of 32 + 2*4 = 40 px wide and 64 + 8 = 72 px high, 24 px after the query, 6 px between results.
        Assert.Equal((6 + 40 + 24 + 2 * (40 + 6), 72 + 12), (image.Width, image.Height));
        Assert.Equal(new Rgb24(30, 90, 220), image[6, 6]);
        Assert.Equal(new Rgb24(20, 170, 40), image[6 + 40 + 24, 6]);
        Assert.Equal(new Rgb24(220, 30, 30), image[6 + 40 + 24 + 46, 6]);
        Assert.Equal(new Rgb24(255, 255, 255), image[0, 0]);
    }

    [SharedDataFact("data/market-mini")]
    public void DrawsARankingFromTheEvaluator()
    {
        var dataset = MarketLayoutDataset.Load(SharedData.Require("data/market-mini"), requireTrain: false);
        var q = dataset.Query.Select(i => i.Pid).ToArray();
        var g = dataset.Gallery.Select(i => i.Pid).ToArray();
        // Scores that rank every gallery item by index: the picture shows the first valid items in gallery order.
        var scores = Enumerable.Range(0, q.Length).SelectMany(_ => Enumerable.Range(0, g.Length).Select(j => (float)j)).ToArray();
        var result = ReidEvaluator.EvaluateScores(scores, ScoreKind.Distance, q, dataset.Query.Select(i => i.CamId).ToArray(), g, dataset.Gallery.Select(i => i.CamId).ToArray(), new ReidEvaluationOptions { TopK = 3 });
        var png = Path.Combine(output, "q0.png");

        RankedListImage.Write(png, result.Queries[0], dataset.Query.Select(i => i.Path).ToArray(), dataset.Gallery.Select(i => i.Path).ToArray(), new CropReader(64, 32));

        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(6 + 40 + 24 + 3 * 46, image.Width);
    }

    [Fact]
    public void MismatchedListsAreAnError()
    {
        Assert.Throws<ArgumentException>(() => RankedListImage.Write(Path.Combine(output, "x.png"), "q.jpg", ["a.jpg", "b.jpg"], [true]));
    }
}
