using SanReid.Synthesis;

namespace SanReid.Synthesis.Tests;

public class DeterminismTests
{
    [Fact]
    public void SameSeedGivesIdenticalReidDatasetBytes()
    {
        using var temp = new TempFolder();
        var options = new ReidOptions(TrainIds: 3, TestIds: 3, Cameras: 3, Seed: 42);
        ReidWriter.Write(temp.Sub("a"), options);
        ReidWriter.Write(temp.Sub("b"), options);

        string[] a = RelativeFiles(temp.Sub("a")), b = RelativeFiles(temp.Sub("b"));
        Assert.Equal(a, b);
        Assert.True(a.Length > 20, $"expected a real dataset, got {a.Length} files");
        foreach (string file in a)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(temp.Sub("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Sub("b"), file))), $"{file} differs between two runs with the same seed");
        }
    }

    [Theory]
    [InlineData("occlusion,textures")]
    [InlineData("all")]
    public void SameSeedAndSameDisabledRandomisationsGiveIdenticalBytes(string disabled)
    {
        using var temp = new TempFolder();
        var options = new ReidOptions(TrainIds: 2, TestIds: 2, Cameras: 2, Seed: 42, Disabled: RandomisationNames.Parse(disabled));
        ReidWriter.Write(temp.Sub("a"), options);
        ReidWriter.Write(temp.Sub("b"), options);

        string[] a = RelativeFiles(temp.Sub("a"));
        Assert.Equal(a, RelativeFiles(temp.Sub("b")));
        foreach (string file in a)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(temp.Sub("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Sub("b"), file))), $"{file} differs");
        }
    }

    [Fact]
    public void DifferentSeedGivesDifferentImages()
    {
        using var temp = new TempFolder();
        ReidWriter.Write(temp.Sub("a"), new ReidOptions(2, 2, 2, Seed: 1));
        ReidWriter.Write(temp.Sub("b"), new ReidOptions(2, 2, 2, Seed: 2));

        byte[] a = File.ReadAllBytes(Path.Combine(temp.Sub("a"), "labels.csv"));
        byte[] b = File.ReadAllBytes(Path.Combine(temp.Sub("b"), "labels.csv"));
        Assert.False(a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public void SameSeedGivesIdenticalPitBytes()
    {
        using var temp = new TempFolder();
        PitWriter.Write(temp.Sub("a"), textures: 2, poses: 3, seed: 9);
        PitWriter.Write(temp.Sub("b"), textures: 2, poses: 3, seed: 9);

        string[] files = RelativeFiles(temp.Sub("a"));
        Assert.Equal(files, RelativeFiles(temp.Sub("b")));
        Assert.Equal(2 * 3 + 2 + 2, files.Length); // images, textures, pairs.csv, pairs.txt
        foreach (string file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(temp.Sub("a"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.Sub("b"), file))), $"{file} differs");
        }
    }

    [Fact]
    public void IdentityIsTheSameWhateverRangeItIsGeneratedIn()
    {
        SynthIdentity[] all = IdentityCatalog.Create(seed: 5, first: 0, count: 12);
        for (int i = 0; i < all.Length; i++)
        {
            SynthIdentity alone = IdentityCatalog.Create(seed: 5, first: i, count: 1)[0];
            Assert.Equal(all[i].Spec, alone.Spec);
            Assert.Equal(all[i].Shape, alone.Shape);
            Assert.Equal(all[i].Texture.Pixels, alone.Texture.Pixels);
        }
    }

    private static string[] RelativeFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();
}
