using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class TextureLookupTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("sanreid-texture-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void FindsTheTextureAtTheSameRelativePathInTheParallelFolder()
    {
        var image = Touch("images/bounding_box_train/0002_c1s1_000451_03.jpg");
        var texture = Touch("textures/bounding_box_train/0002_c1s1_000451_03.jpg");
        Touch("textures/0002_c1s1_000451_03.jpg"); // same name, wrong folder: must not be chosen

        var lookup = TextureLookup.ParallelFolder(Path.Combine(root, "images"), Path.Combine(root, "textures"));

        Assert.Equal(texture, lookup.Find(image));
    }

    [Fact]
    public void FallsBackToAPngWithTheSameStem()
    {
        var image = Touch("images/0002_c1s1_000451_03.jpg");
        var texture = Touch("textures/0002_c1s1_000451_03.png");

        var lookup = TextureLookup.ParallelFolder(Path.Combine(root, "images"), Path.Combine(root, "textures"));

        Assert.Equal(texture, lookup.Find(image));
    }

    [Fact]
    public void SubstitutesTheFolderNameAsThePublicCodeDoes()
    {
        var image = Touch("cuhk03/images_labeled/1_001_1_01.png");
        var texture = Touch("cuhk03/texture_cuhk03_labeled/1_001_1_01.png");

        var lookup = TextureLookup.FolderNameSubstitution("images_labeled", "texture_cuhk03_labeled");

        Assert.Equal(texture, lookup.Find(image));
    }

    [Fact]
    public void AMissingTextureIsAnErrorNamingTheImageAndTheTriedPath()
    {
        var image = Touch("images/0002_c1s1_000451_03.jpg");
        Directory.CreateDirectory(Path.Combine(root, "textures"));
        var lookup = TextureLookup.ParallelFolder(Path.Combine(root, "images"), Path.Combine(root, "textures"));

        var error = Assert.Throws<ReidDatasetException>(() => lookup.Find(image));

        Assert.Contains(image, error.Message);
        Assert.Contains(Path.Combine(root, "textures", "0002_c1s1_000451_03.jpg"), error.Message);
        Assert.False(lookup.TryFind(image, out _));
    }

    [Fact]
    public void AnImageOutsideTheImageRootIsAnError()
    {
        var image = Touch("elsewhere/0002_c1s1_000451_03.jpg");
        var lookup = TextureLookup.ParallelFolder(Path.Combine(root, "images"), Path.Combine(root, "textures"));

        Assert.Throws<ReidDatasetException>(() => lookup.Find(image));
    }

    [Fact]
    public void SubstitutionWithoutTheFolderInThePathIsAnError()
    {
        var image = Touch("images/0002_c1s1_000451_03.jpg");

        var error = Assert.Throws<ReidDatasetException>(() => TextureLookup.FolderNameSubstitution("images_labeled", "textures").Find(image));

        Assert.Contains("images_labeled", error.Message);
    }

    private string Touch(string relative)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        return path;
    }
}
