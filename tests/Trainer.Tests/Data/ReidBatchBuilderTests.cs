using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class ReidBatchBuilderTests
{
    [SharedDataFact("data/san-pg-examples")]
    public void BuildsAPxKBatchOfRealImagesWithLabelsAndTextures()
    {
        var folder = SharedData.Require("data/san-pg-examples");
        var images = MarketLayoutDataset.Relabel(MarketLayoutDataset.ListFolder(Path.Combine(folder, "images"))).Images;
        var sampler = new RandomIdentitySampler(images.Select(i => i.Label).ToArray(), p: 2, k: 2, seed: 0);
        var lookup = TextureLookup.ParallelFolder(Path.Combine(folder, "images"), Path.Combine(folder, "textures"));
        var builder = new ReidBatchBuilder(new CropReader(64, 32, 64));
        var indices = sampler.EpochBatches(0)[0];

        using var batch = builder.Build(images, indices, new Random(1), lookup);

        Assert.Equal(new long[] { 4, 3, 64, 32 }, batch.Images.shape);
        Assert.Equal(new long[] { 4, 3, 64, 64 }, batch.Textures!.shape);
        Assert.Equal(indices.Select(i => (long)images[i].Label), batch.Labels.data<long>().ToArray());
        Assert.True(batch.Textures.min().item<float>() >= -1f && batch.Textures.max().item<float>() <= 1f);
    }

    [SharedDataFact("data/san-pg-examples")]
    public void TheSameGeneratorStateGivesTheSameBatch()
    {
        var folder = SharedData.Require("data/san-pg-examples");
        var pairs = PairedTextureList.FromFolders(Path.Combine(folder, "images"), Path.Combine(folder, "textures"));
        var builder = new ReidBatchBuilder(new CropReader(64, 32, 64));

        using var first = builder.BuildPaired(pairs, [0, 1, 2], new Random(7));
        using var second = builder.BuildPaired(pairs, [0, 1, 2], new Random(7));
        using var other = builder.BuildPaired(pairs, [0, 1, 2], new Random(8));

        Assert.True(first.Images.eq(second.Images).all().item<bool>());
        Assert.False(first.Images.eq(other.Images).all().item<bool>());
        Assert.True(first.Textures!.eq(other.Textures!).all().item<bool>()); // textures are never augmented
        Assert.All(first.Labels.data<long>().ToArray(), l => Assert.Equal(-1L, l));
    }

    [SharedDataFact("data/market-mini")]
    public void Random2DTranslationDecodesTheFileAtTheEnlargedSize()
    {
        // As the public code resizes the original image to 1.125x: the training input equals a 64 x 32 window of the
        // file decoded at 72 x 36, not of an upscaled 64 x 32 decode.
        var path = Directory.GetFiles(Path.Combine(SharedData.Require("data/market-mini"), "query")).Order().First();
        var reader = new CropReader(64, 32, 64);
        var options = new ReidTransformOptions { TranslationProbability = 1, FlipProbability = 0, ErasingProbability = 0 };
        var builder = new ReidBatchBuilder(reader, options);

        using var batch = builder.Build([new ReidImage(path, 1, 1, 0)], [0], new Random(5));

        var enlarged = reader.ReadImage(path, 72, 36);
        var windows = from top in Enumerable.Range(0, 9)
                      from left in Enumerable.Range(0, 5)
                      select ReidTransforms.Eval(ReidTransforms.Window(enlarged, top, left, 64, 32));
        var actual = batch.Images.data<float>().ToArray();
        Assert.Contains(windows, w => w.SequenceEqual(actual));
    }

    [SharedDataFact("data/market-mini")]
    public void EvalInputIsTheUnaugmentedNormalisedImageAndFlipMirrorsIt()
    {
        var path = Directory.GetFiles(Path.Combine(SharedData.Require("data/market-mini"), "query")).Order().First();
        var builder = new ReidBatchBuilder(new CropReader());

        using var plain = builder.BuildEval([path]);
        using var flipped = builder.BuildEval([path], flip: true);

        Assert.Equal(ReidTransforms.Eval(new CropReader().ReadImage(path)), plain.data<float>().ToArray());
        Assert.True(plain.flip(3).eq(flipped).all().item<bool>());
    }

    [Fact]
    public void AnImageWithoutATextureIsAnErrorNamingIt()
    {
        var root = Directory.CreateTempSubdirectory("sanreid-batch-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "images"));
            Directory.CreateDirectory(Path.Combine(root, "textures"));
            var image = Path.Combine(root, "images", "0001_c1s1_000001_00.jpg");
            File.WriteAllBytes(image, []);
            var lookup = TextureLookup.ParallelFolder(Path.Combine(root, "images"), Path.Combine(root, "textures"));

            var error = Assert.Throws<ReidDatasetException>(() =>
                new ReidBatchBuilder(new CropReader()).Build([new ReidImage(image, 1, 1, 0)], [0], new Random(0), lookup));

            Assert.Contains(image, error.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
