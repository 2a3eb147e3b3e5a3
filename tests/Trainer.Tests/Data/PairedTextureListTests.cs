using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class PairedTextureListTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sanreid-pairs-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void ReadsPairsRelativeToTheListFileSkippingCommentsAndBlankLines()
    {
        Touch("img/a.jpg", "tex/a.png", "img/b.jpg", "tex/b.png");
        File.WriteAllLines(Path.Combine(root, "pairs.txt"), ["# image texture", "img/a.jpg\ttex/a.png", "", "img/b.jpg   tex/b.png"]);

        var pairs = PairedTextureList.Load(Path.Combine(root, "pairs.txt"));

        Assert.Equal(
            [new TexturePair(Path.Combine(root, "img", "a.jpg"), Path.Combine(root, "tex", "a.png")), new TexturePair(Path.Combine(root, "img", "b.jpg"), Path.Combine(root, "tex", "b.png"))],
            pairs);
    }

    [Fact]
    public void AListedFileThatIsMissingIsAnErrorNamingLineAndFile()
    {
        Touch("img/a.jpg");
        File.WriteAllLines(Path.Combine(root, "pairs.txt"), ["img/a.jpg tex/a.png"]);

        var error = Assert.Throws<ReidDatasetException>(() => PairedTextureList.Load(Path.Combine(root, "pairs.txt")));

        Assert.Contains("line 1", error.Message);
        Assert.Contains(Path.Combine(root, "tex", "a.png"), error.Message);
    }

    [Fact]
    public void AMalformedLineIsAnError()
    {
        File.WriteAllLines(Path.Combine(root, "pairs.txt"), ["img/a.jpg"]);

        var error = Assert.Throws<ReidDatasetException>(() => PairedTextureList.Load(Path.Combine(root, "pairs.txt")));

        Assert.Contains("line 1", error.Message);
    }

    [Fact]
    public void PairsParallelFoldersByRelativeName()
    {
        Touch("images/x/1.jpg", "images/2.jpg", "images/notes.txt", "textures/x/1.jpg", "textures/2.png");

        var pairs = PairedTextureList.FromFolders(Path.Combine(root, "images"), Path.Combine(root, "textures"));

        Assert.Equal(2, pairs.Count);
        Assert.Equal(Path.Combine(root, "textures", "2.png"), pairs.Single(p => p.ImagePath.EndsWith("2.jpg")).TexturePath);
        Assert.Equal(Path.Combine(root, "textures", "x", "1.jpg"), pairs.Single(p => p.ImagePath.EndsWith("1.jpg")).TexturePath);
    }

    [SharedDataFact("data/san-pg-examples")]
    public void PairsTheSanPgExamples()
    {
        var folder = SharedData.Require("data/san-pg-examples");

        var pairs = PairedTextureList.FromFolders(Path.Combine(folder, "images"), Path.Combine(folder, "textures"));

        Assert.Equal(Directory.GetFiles(Path.Combine(folder, "images")).Length, pairs.Count);
        Assert.All(pairs, p => Assert.Equal(Path.GetFileName(p.ImagePath), Path.GetFileName(p.TexturePath)));
    }

    private void Touch(params string[] relatives)
    {
        foreach (var relative in relatives)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, []);
        }
    }
}
