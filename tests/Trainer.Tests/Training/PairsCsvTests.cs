using SanReid.Trainer.Data;
using SanReid.Trainer.Training;

namespace SanReid.Trainer.Tests.Training;

public sealed class PairsCsvTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sanreid-pairs-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void PairsAreReadRelativeToTheFileWithQuotedFieldsAndAnOptionalIdentity()
    {
        Touch("images/a,1.jpg", "textures/t1.png", "images/b.jpg");
        var csv = Write("pairs.csv", "image,texture,identity\r\n\"images/a,1.jpg\",textures/t1.png,id7\r\n\r\nimages/b.jpg,textures/t1.png\r\n");

        var pairs = PairsCsv.Load(csv);

        Assert.Equal(2, pairs.Count);
        Assert.Equal(Path.Combine(folder, "images", "a,1.jpg"), pairs[0].Pair.ImagePath);
        Assert.Equal("id7", pairs[0].Identity);
        // No identity column on the second row: the texture path is the identity.
        Assert.Equal(Path.Combine(folder, "textures", "t1.png"), pairs[1].Identity);
    }

    [Fact]
    public void AMissingHeaderAShortRowOrAMissingFileIsAnErrorNamingTheFileAndLine()
    {
        Touch("i.jpg", "t.png");
        var noHeader = Write("no-header.csv", "i.jpg,t.png\n");
        var shortRow = Write("short.csv", "image,texture\ni.jpg,t.png\nonly-one\n");
        var missing = Write("missing.csv", "image,texture\ni.jpg,gone.png\n");
        var empty = Write("empty.csv", "image,texture\n");

        Assert.Contains("expected a header", Assert.Throws<ReidDatasetException>(() => PairsCsv.Load(noHeader)).Message);
        var e = Assert.Throws<ReidDatasetException>(() => PairsCsv.Load(shortRow));
        Assert.Contains("short.csv line 3", e.Message);
        Assert.Contains("'only-one'", e.Message);
        Assert.Contains("gone.png", Assert.Throws<ReidDatasetException>(() => PairsCsv.Load(missing)).Message);
        Assert.Contains("lists no pairs", Assert.Throws<ReidDatasetException>(() => PairsCsv.Load(empty)).Message);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void Touch(params string[] names)
    {
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [1]);
        }
    }
}
