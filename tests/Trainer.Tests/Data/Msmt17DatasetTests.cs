using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class Msmt17DatasetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sanreid-msmt-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void ReadsTheListFilesWithTwoDigitCameraIds()
    {
        Write("list_train.txt", "0000/0000_000_01_0303morning_0015_0.jpg 0", "0000/0000_001_14_0303morning_0016_0.jpg 0", "0001/0001_000_07_0303noon_0100_1.jpg 1");
        Write("list_val.txt", "0002/0002_000_15_0303noon_0015_0.jpg 2");
        Write("list_query.txt", "0000/0000_000_11_0113morning_0002_0.jpg 0");
        Write("list_gallery.txt", "0000/0000_003_03_0113morning_0011_0.jpg 0", "", "0005/0005_000_10_0113noon_0003_1.jpg 5");

        var dataset = Msmt17Dataset.Load(root);

        Assert.Equal(new[] { 1, 14, 7 }, dataset.Train.Select(i => i.CamId));
        Assert.Equal(new[] { 0, 0, 1 }, dataset.Train.Select(i => i.Label));
        Assert.Equal(2, dataset.NumTrainIds);
        Assert.Equal(11, Assert.Single(dataset.Query).CamId);
        Assert.Equal(new[] { 3, 10 }, dataset.Gallery.Select(i => i.CamId));
        Assert.Equal(Path.Combine(root, "test", "0005", "0005_000_10_0113noon_0003_1.jpg"), dataset.Gallery[1].Path);
        Assert.Equal(Path.Combine(root, "train", "0000", "0000_000_01_0303morning_0015_0.jpg"), dataset.Train[0].Path);
    }

    [Fact]
    public void AddsValToTrainOnlyWhenAsked()
    {
        Write("list_train.txt", "0000/0000_000_01_0303morning_0015_0.jpg 0");
        Write("list_val.txt", "0002/0002_000_15_0303noon_0015_0.jpg 2");
        Write("list_query.txt", "0000/0000_000_11_0113morning_0002_0.jpg 0");
        Write("list_gallery.txt", "0000/0000_003_03_0113morning_0011_0.jpg 0");

        var withVal = Msmt17Dataset.Load(root, includeVal: true);

        Assert.Single(Msmt17Dataset.Load(root).Train);
        Assert.Equal(2, withVal.NumTrainIds);
        Assert.Equal(15, withVal.Train[1].CamId);
    }

    [Fact]
    public void MarketStyleNamesWithMultiDigitCamerasAreReadToo()
    {
        Assert.Equal(12, Msmt17Dataset.CameraOf("0042_c12s3_000123_01.jpg"));
        Assert.Equal(15, Msmt17Dataset.CameraOf("query/0000_000_15_0113morning_0002_0.jpg"));
    }

    [Fact]
    public void ALineThatDoesNotParseIsAnErrorNamingFileAndLine()
    {
        Write("list_train.txt", "0000/0000_000_01_0303morning_0015_0.jpg 0", "0000/person.jpg 0");
        Write("list_query.txt", "0000/0000_000_11_0113morning_0002_0.jpg 0");
        Write("list_gallery.txt", "0000/0000_003_03_0113morning_0011_0.jpg 0");

        var error = Assert.Throws<ReidDatasetException>(() => Msmt17Dataset.Load(root));

        Assert.Contains("list_train.txt line 2", error.Message);
        Assert.Contains("person.jpg", error.Message);
    }

    [Fact]
    public void ALineWithoutAPidIsAnError()
    {
        Write("list_query.txt", "0000/0000_000_11_0113morning_0002_0.jpg");

        var error = Assert.Throws<ReidDatasetException>(() => Msmt17Dataset.ReadList(root, "list_query.txt", "test"));

        Assert.Contains("line 1", error.Message);
    }

    [Fact]
    public void AMissingListFileIsAnErrorNamingIt()
    {
        var error = Assert.Throws<ReidDatasetException>(() => Msmt17Dataset.Load(root));

        Assert.Contains("list_train.txt", error.Message);
    }

    private void Write(string name, params string[] lines) => File.WriteAllLines(Path.Combine(root, name), lines);
}
