using Microsoft.Data.Sqlite;

namespace SanReid.Index.Tests;

/// <summary>Database files the store cannot use fail with typed errors that name the file (never raw SQLite errors).</summary>
public sealed class GalleryDatabaseFileTests : IDisposable
{
    private const int D = 16;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void APathThatIsADirectoryThrowsIOExceptionNamingIt()
    {
        string path = Directory.CreateDirectory(temp.File("gallery.db")).FullName;

        var error = Assert.Throws<IOException>(() => Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("directory", error.Message);
    }

    [Fact]
    public void ADevicePathThrowsIOExceptionNamingItAndLeavesNoLockFile()
    {
        var error = Assert.Throws<IOException>(() => Open("/dev/null"));

        Assert.Contains("/dev/null", error.Message);
        Assert.False(File.Exists("/dev/null.lock"));
    }

    [FactUnlessRoot]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void ADatabaseInAReadOnlyDirectoryThrowsIOExceptionNamingIt()
    {
        string directory = Directory.CreateDirectory(temp.File("read-only")).FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            string path = Path.Combine(directory, "gallery.db");

            var error = Assert.Throws<IOException>(() => Open(path));

            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void AnItemsTableOfAnotherSchemaThrowsInvalidDataException()
    {
        string path = temp.File("foreign.db");
        Execute(path, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");

        var error = Assert.Throws<InvalidDataException>(() => Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("embedding", error.Message);
        Assert.Contains("camera_id", error.Message);
    }

    [Fact]
    public void AMetaTableOfAnotherSchemaThrowsInvalidDataException()
    {
        string path = temp.File("foreign-meta.db");
        Execute(path, "CREATE TABLE meta (name TEXT, data BLOB)");

        var error = Assert.Throws<InvalidDataException>(() => Open(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("'meta'", error.Message);
    }

    [Fact]
    public void AnEmbeddingOfTheWrongLengthThrowsInvalidDataExceptionNamingItsRow()
    {
        string path = temp.File("gallery.db");
        long damaged;
        using (GalleryStore store = Open(path))
        {
            damaged = store.Add(
            [
                new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 1)),
                new NewGalleryItem(TestVectors.RandomUnit(1, D, seed: 2)),
            ])[1].Id;
        }

        Execute(path, $"UPDATE items SET embedding = zeroblob(12) WHERE id = {damaged}");

        var error = Assert.Throws<InvalidDataException>(() => Open(path));

        Assert.Contains($"item id {damaged}", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Contains("12 bytes", error.Message);
        // The refused open released the file: once repaired, it opens.
        Execute(path, $"DELETE FROM items WHERE id = {damaged}");
        using GalleryStore repaired = Open(path);
        Assert.Equal(1, repaired.Count);
    }

    private static GalleryStore Open(string path) =>
        GalleryStore.Open(new GalleryStoreOptions { DatabasePath = path, Dimension = D });

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
