using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class MarketLayoutDatasetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sanreid-market-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void RelabelsTrainIdentitiesInAscendingPidOrderAndDropsJunk()
    {
        Touch("bounding_box_train", "0042_c1s1_000001_00.jpg", "0007_c2s1_000002_00.jpg", "0042_c3s1_000003_00.jpg", "-1_c1s1_000004_00.jpg", "1500_c6s1_000005_01.jpg");
        Touch("query", "0007_c1s1_000010_00.jpg");
        Touch("bounding_box_test", "0007_c3s1_000011_00.jpg", "-1_c3s1_000012_00.jpg", "0000_c4s1_000013_00.jpg");

        var dataset = MarketLayoutDataset.Load(root);

        Assert.Equal(3, dataset.NumTrainIds);
        Assert.Equal(4, dataset.Train.Count);
        var labelByPid = dataset.Train.GroupBy(i => i.Pid).ToDictionary(g => g.Key, g => g.Select(i => i.Label).Distinct().Single());
        Assert.Equal(new Dictionary<int, int> { [7] = 0, [42] = 1, [1500] = 2 }, labelByPid);
        Assert.Equal(new[] { 1, 3 }, dataset.Train.Where(i => i.Pid == 42).Select(i => i.CamId).Order());
    }

    [Fact]
    public void KeepsJunkAndDistractorsInTheGalleryForTheEvaluator()
    {
        Touch("bounding_box_train", "0001_c1s1_000001_00.jpg");
        Touch("query", "0007_c1s1_000010_00.jpg");
        Touch("bounding_box_test", "0007_c3s1_000011_00.jpg", "-1_c3s1_000012_00.jpg", "0000_c4s1_000013_00.jpg");

        var dataset = MarketLayoutDataset.Load(root);

        Assert.Equal(new[] { -1, 0, 7 }, dataset.Gallery.Select(i => i.Pid).Order());
        Assert.All(dataset.Gallery.Concat(dataset.Query), i => Assert.Equal(-1, i.Label));
        Assert.Equal(7, Assert.Single(dataset.Query).Pid);
    }

    [Fact]
    public void IgnoresFilesThatAreNotImages()
    {
        Touch("query", "0007_c1s1_000010_00.jpg", "Thumbs.db", "readme.txt");

        var images = MarketLayoutDataset.ListFolder(Path.Combine(root, "query"));

        Assert.Equal("0007_c1s1_000010_00.jpg", Path.GetFileName(Assert.Single(images).Path));
    }

    [Fact]
    public void AnImageWhoseNameDoesNotParseIsAnErrorNamingTheFile()
    {
        Touch("query", "0007_c1s1_000010_00.jpg", "person7.jpg");

        var error = Assert.Throws<ReidFileNameException>(() => MarketLayoutDataset.ListFolder(Path.Combine(root, "query")));

        Assert.Contains("person7.jpg", error.Message);
    }

    [Fact]
    public void AMissingRequiredSplitIsAnErrorNamingTheFolder()
    {
        Touch("query", "0007_c1s1_000010_00.jpg");
        Touch("bounding_box_test", "0007_c3s1_000011_00.jpg");

        var error = Assert.Throws<ReidDatasetException>(() => MarketLayoutDataset.Load(root));

        Assert.Contains("bounding_box_train", error.Message);
        Assert.Empty(MarketLayoutDataset.Load(root, requireTrain: false).Train);
    }

    [Fact]
    public void AMissingRootIsAnErrorNamingIt()
    {
        var missing = Path.Combine(root, "nope");

        var error = Assert.Throws<ReidDatasetException>(() => MarketLayoutDataset.Load(missing));

        Assert.Contains(missing, error.Message);
    }

    [SharedDataFact("data/market-mini")]
    public void LoadsMarketMiniTestSplits()
    {
        var dataset = MarketLayoutDataset.Load(SharedData.Require("data/market-mini"), requireTrain: false);

        Assert.Equal(2, dataset.Query.Count);
        Assert.Equal(30, dataset.Gallery.Count);
        Assert.Contains(dataset.Gallery, i => i.Pid == -1);
        Assert.Contains(dataset.Gallery, i => i.Pid == 0);
        Assert.All(dataset.Gallery, i => Assert.Equal(Market1501Name.Parse(i.Path).CamId, i.CamId));
    }

    private void Touch(string folder, params string[] names)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, folder));
        foreach (var name in names)
        {
            File.WriteAllBytes(Path.Combine(dir.FullName, name), []);
        }
    }
}
