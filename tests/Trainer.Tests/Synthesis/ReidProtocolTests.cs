using System.Text.RegularExpressions;
using SanReid.Synthesis;
using SanReid.Synthesis.Tests;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Synthesis;

/// <summary>
/// The synthetic re-ID folder follows the Market-1501 protocol (DESIGN.md, "Evaluation protocol"). It is read with the
/// project's loader (<see cref="MarketLayoutDataset"/>, <see cref="Market1501Name"/>), and names are also held to the
/// strict documented shape PPPP_cCsS_FFFFFF_NN.jpg (pid -1 written "-1").
/// </summary>
public partial class ReidProtocolTests : IClassFixture<ReidProtocolTests.Dataset>
{
    private readonly Dataset _data;

    public ReidProtocolTests(Dataset data) => _data = data;

    [Fact]
    public void EveryImageNameParsesWithTheMarketNamingRule()
    {
        foreach (string folder in new[] { "bounding_box_train", "query", "bounding_box_test" })
        {
            string[] names = Directory.GetFiles(Path.Combine(_data.Root, folder)).Select(Path.GetFileName).ToArray()!;
            Assert.NotEmpty(names);
            Assert.All(names, name => Assert.Matches(MarketName(), name));
        }
    }

    [Fact]
    public void TrainAndTestIdentitiesAreDisjointAndCountedAsAsked()
    {
        var train = _data.Images("bounding_box_train").Select(x => x.Pid).ToHashSet();
        var test = _data.Images("query").Concat(_data.Images("bounding_box_test")).Select(x => x.Pid).Where(p => p > 0).ToHashSet();
        Assert.Equal(Dataset.Options.TrainIds, train.Count);
        Assert.Equal(Dataset.Options.TestIds, test.Count);
        Assert.Empty(train.Intersect(test));
        Assert.DoesNotContain(0, train);
        Assert.DoesNotContain(-1, train);
    }

    [Fact]
    public void EveryTestIdentityIsSeenByAtLeastTwoCameras()
    {
        var test = _data.Images("query").Concat(_data.Images("bounding_box_test")).Where(x => x.Pid > 0);
        foreach (var person in test.GroupBy(x => x.Pid))
        {
            Assert.True(person.Select(x => x.Camera).Distinct().Count() >= 2, $"pid {person.Key} is seen by one camera only");
        }
    }

    [Fact]
    public void EveryQueryHasAGalleryMatchInAnotherCamera()
    {
        var gallery = _data.Images("bounding_box_test");
        var queries = _data.Images("query");
        Assert.NotEmpty(queries);
        foreach (var query in queries)
        {
            Assert.True(query.Pid > 0, $"query {query.Name} has pid {query.Pid}");
            Assert.Contains(gallery, g => g.Pid == query.Pid && g.Camera != query.Camera);
        }
    }

    [Fact]
    public void GalleryHoldsDistractorsAndJunk()
    {
        var gallery = _data.Images("bounding_box_test");
        Assert.Equal(Dataset.Options.Distractors, gallery.Count(x => x.Pid == 0));
        Assert.Equal(Dataset.Options.Junk, gallery.Count(x => x.Pid == -1));
        Assert.All(gallery.Where(x => x.Pid == -1), x => Assert.StartsWith("-1_c", x.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void CamerasAreWithinTheRequestedCount()
    {
        var all = _data.Images("bounding_box_train").Concat(_data.Images("query")).Concat(_data.Images("bounding_box_test"));
        Assert.All(all, x => Assert.InRange(x.Camera, 1, Dataset.Options.Cameras));
        Assert.Equal(Dataset.Options.Cameras, all.Select(x => x.Camera).Distinct().Count());
    }

    [Fact]
    public void EveryImageIs128x256AndHasItsTrueTextureUnderTheSameRelativeName()
    {
        var textureOfPid = new Dictionary<int, byte[]>();
        foreach (string folder in new[] { "bounding_box_train", "query", "bounding_box_test" })
        {
            foreach (var image in _data.Images(folder))
            {
                RgbImage crop = RgbImage.Load(Path.Combine(_data.Root, folder, image.Name));
                Assert.Equal((128, 256), (crop.Width, crop.Height));
                string texturePath = Path.Combine(_data.Root, "textures", folder, Path.ChangeExtension(image.Name, ".png"));
                Assert.True(File.Exists(texturePath), $"no texture for {folder}/{image.Name}");
                RgbImage texture = RgbImage.Load(texturePath);
                Assert.Equal((256, 256), (texture.Width, texture.Height));
                if (image.Pid > 0)
                {
                    // One identity, one texture; different identities, different textures.
                    if (textureOfPid.TryGetValue(image.Pid, out byte[]? known))
                    {
                        Assert.Equal(known, texture.Pixels);
                    }
                    else
                    {
                        Assert.DoesNotContain(textureOfPid.Values, v => v.AsSpan().SequenceEqual(texture.Pixels));
                        textureOfPid[image.Pid] = texture.Pixels;
                    }
                }
            }
        }
    }

    [Fact]
    public void ProjectLoaderReadsTheFolderWithTheRightSplitsAndLabels()
    {
        MarketLayoutDataset dataset = MarketLayoutDataset.Load(_data.Root);
        Assert.Equal(Dataset.Options.TrainIds, dataset.NumTrainIds);
        Assert.Equal(_data.Images("bounding_box_train").Count, dataset.Train.Count);
        Assert.Equal(_data.Images("query").Count, dataset.Query.Count);
        Assert.Equal(_data.Images("bounding_box_test").Count, dataset.Gallery.Count);
        foreach (ReidImage query in dataset.Query)
        {
            Assert.Contains(dataset.Gallery, g => g.Pid == query.Pid && g.CamId != query.CamId);
        }
    }

    [Fact]
    public void TrainersTextureLookupFindsEveryImagesTexture()
    {
        MarketLayoutDataset dataset = MarketLayoutDataset.Load(_data.Root);
        TextureLookup lookup = TextureLookup.ParallelFolder(_data.Root, Path.Combine(_data.Root, "textures"));
        foreach (ReidImage image in dataset.Train.Concat(dataset.Query).Concat(dataset.Gallery))
        {
            string texture = lookup.Find(image.Path);
            Assert.Equal(Path.ChangeExtension(Path.GetFileName(image.Path), ".png"), Path.GetFileName(texture));
        }
    }

    [Fact]
    public void TexturePathReplacesTheTopFolderAndExtension()
    {
        Assert.Equal("textures/query/0007_c2s1_001234_00.png", ReidWriter.TexturePathFor("query/0007_c2s1_001234_00.jpg"));
        Assert.Throws<ArgumentException>(() => ReidWriter.TexturePathFor("query/0007_c2s1_001234_00.png"));
    }

    [Fact]
    public void LabelsListEveryImageOnce()
    {
        string[] rows = File.ReadAllLines(Path.Combine(_data.Root, "labels.csv"));
        Assert.Equal("image,texture,pid,camid", rows[0]);
        int images = new[] { "bounding_box_train", "query", "bounding_box_test" }.Sum(f => Directory.GetFiles(Path.Combine(_data.Root, f)).Length);
        Assert.Equal(images, rows.Length - 1);
        Assert.Equal(images, rows.Skip(1).Select(r => r.Split(',')[0]).Distinct().Count());
    }

    [Fact]
    public void WriterRefusesANonEmptyFolder()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Sub("keep.txt"), "x");
        var error = Assert.Throws<IOException>(() => ReidWriter.Write(temp.Path, new ReidOptions(1, 1, 2, 1)));
        Assert.Contains(temp.Path, error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Sub("keep.txt")));
    }

    [Theory]
    [InlineData(0, 2, 3)]
    [InlineData(2, 0, 3)]
    [InlineData(2, 2, 1)]
    [InlineData(2, 2, 16)]
    public void WriterRejectsOutOfRangeCounts(int train, int test, int cameras)
    {
        using var temp = new TempFolder();
        Assert.Throws<ArgumentOutOfRangeException>(() => ReidWriter.Write(temp.Sub("out"), new ReidOptions(train, test, cameras, 1)));
        Assert.False(Directory.Exists(temp.Sub("out")), "nothing may be written for bad options");
    }

    [GeneratedRegex(@"^(-1|\d{4})_c(\d+)s(\d+)_(\d{6})_(\d{2})\.jpg$")]
    private static partial Regex MarketName();

    public sealed record Crop(string Name, int Pid, int Camera);

    /// <summary>One small dataset shared by the protocol tests.</summary>
    public sealed class Dataset : IDisposable
    {
        public static readonly ReidOptions Options = new(TrainIds: 5, TestIds: 6, Cameras: 4, Seed: 17, Distractors: 3, Junk: 2);

        private readonly TempFolder _temp = new();

        public Dataset()
        {
            Root = _temp.Sub("market-synth");
            ReidWriter.Write(Root, Options);
        }

        public string Root { get; }

        public List<Crop> Images(string folder) => Directory.GetFiles(Path.Combine(Root, folder)).Select(path =>
        {
            string name = Path.GetFileName(path);
            Assert.True(MarketName().IsMatch(name), $"{folder}/{name} does not follow PPPP_cCsS_FFFFFF_NN.jpg");
            Market1501Name parsed = Market1501Name.Parse(name);
            return new Crop(name, parsed.Pid, parsed.CamId);
        }).ToList();

        public void Dispose() => _temp.Dispose();
    }
}
