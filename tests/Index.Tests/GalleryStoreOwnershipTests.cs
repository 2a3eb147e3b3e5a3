namespace SanReid.Index.Tests;

/// <summary>One GalleryStore owns a database file; a second one on the same file is refused, not silently stale.</summary>
public sealed class GalleryStoreOwnershipTests : IDisposable
{
    private const int D = 16;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ASecondStoreOnTheSameDatabaseIsRefusedUntilTheFirstIsDisposed()
    {
        string path = temp.File("gallery.db");
        float[] data = TestVectors.RandomUnit(3, D, seed: 1);
        GalleryStore first = Open(path);
        first.Add([new NewGalleryItem(data[..D], "a")]);

        var error = Assert.Throws<IOException>(() => Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("already open", error.Message);
        // The refused open changed nothing: the owner keeps working.
        first.Add([new NewGalleryItem(data[D..(2 * D)], "b")]);
        Assert.Equal(2, first.Count);

        first.Dispose();
        using GalleryStore second = Open(path);
        Assert.Equal(2, second.Count);
        Assert.Equal("b", second.Search(data.AsSpan(D, D), 1)[0].Item.ExternalId);
    }

    [Fact]
    public void TheSameFileReachedThroughAnotherSpellingOfItsPathIsRefusedToo()
    {
        string path = temp.File("gallery.db");
        using GalleryStore first = Open(path);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        string dotted = Path.Combine(temp.Path, ".", "gallery.db");

        string link = temp.File("link.db");
        File.CreateSymbolicLink(link, path);

        Assert.Throws<IOException>(() => Open(relative));
        Assert.Throws<IOException>(() => Open(dotted));
        Assert.Throws<IOException>(() => Open(link));
    }

    [Fact]
    public void StoresOnDifferentFilesInOneDirectoryOpenSideBySide()
    {
        using GalleryStore first = Open(temp.File("a.db"));
        using GalleryStore second = Open(temp.File("b.db"));

        first.Add([new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 2))]);

        Assert.Equal(1, first.Count);
        Assert.Equal(0, second.Count);
    }

    private static GalleryStore Open(string path) =>
        GalleryStore.Open(new GalleryStoreOptions { DatabasePath = path, Dimension = D });
}
