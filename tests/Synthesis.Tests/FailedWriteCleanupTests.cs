using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

/// <summary>A writer that fails part-way removes what it created, so the same command can simply be run again.</summary>
public class FailedWriteCleanupTests
{
    [Fact]
    public void AReidWriteThatFailsPartWayRemovesTheFolderItCreated()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("reid");

        var e = Assert.Throws<IOException>(() => ReidWriter.Write(root, new ReidOptions(2, 2, 2, Seed: 1), FailAfter(3)));

        Assert.Equal("disk full (simulated)", e.Message);
        Assert.False(Directory.Exists(root), "the folder this run created is still there");
    }

    [Fact]
    public void AReidWriteThatFailsPartWayEmptiesTheGivenEmptyFolderAndARerunSucceeds()
    {
        using var temp = new TempFolder();
        string root = Directory.CreateDirectory(temp.Sub("reid")).FullName;

        Assert.Throws<IOException>(() => ReidWriter.Write(root, new ReidOptions(2, 2, 2, Seed: 1), FailAfter(3)));

        Assert.True(Directory.Exists(root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        var summary = ReidWriter.Write(root, new ReidOptions(2, 2, 2, Seed: 1));
        Assert.True(summary.Train > 0);
    }

    [Fact]
    public void APitWriteThatFailsPartWayRemovesTheFolderItCreated()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("pit");

        Assert.Throws<IOException>(() => PitWriter.Write(root, textures: 2, poses: 2, seed: 1, (done, _) => FailAfter(2)(done)));

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public void AReidWriteWithANaNHardNegativeFractionIsRefusedBeforeAnythingIsCreated()
    {
        using var temp = new TempFolder();
        string root = temp.Sub("reid");

        Assert.Throws<ArgumentOutOfRangeException>(() => ReidWriter.Write(root, new ReidOptions(2, 2, 2, Seed: 1, HardNegativeFraction: double.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReidWriter.Write(root, new ReidOptions(2, 2, 2, Seed: 1, Distractors: -2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReidWriter.Write(root, new ReidOptions(2, int.MaxValue, 2, Seed: 1)));

        Assert.False(Directory.Exists(root));
    }

    private static Action<int> FailAfter(int images) => done =>
    {
        if (done >= images)
        {
            throw new IOException("disk full (simulated)");
        }
    };
}
