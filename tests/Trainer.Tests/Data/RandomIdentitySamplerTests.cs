using SanReid.Trainer.Data;

namespace SanReid.Trainer.Tests.Data;

public sealed class RandomIdentitySamplerTests
{
    // 10 identities with 1..10 images each (identity i has i + 1 images).
    private static readonly int[] Labels = Enumerable.Range(0, 10).SelectMany(i => Enumerable.Repeat(i * 7, i + 1)).ToArray();

    [Theory]
    [InlineData(4, 2)]
    [InlineData(4, 4)]
    [InlineData(3, 8)]
    public void EveryBatchHoldsExactlyPIdentitiesWithKImagesEach(int p, int k)
    {
        var sampler = new RandomIdentitySampler(Labels, p, k, seed: 1);

        var batches = sampler.EpochBatches(0);

        Assert.NotEmpty(batches);
        foreach (var batch in batches)
        {
            Assert.Equal(p * k, batch.Length);
            var groups = batch.Chunk(k).Select(g => g.Select(i => Labels[i]).Distinct().Single()).ToArray();
            Assert.Equal(p, groups.Distinct().Count());
        }
    }

    [Fact]
    public void IdentitiesWithFewerThanKImagesAreSampledWithReplacement()
    {
        var sampler = new RandomIdentitySampler(Labels, 10, 4, seed: 3);

        var batch = Assert.Single(sampler.EpochBatches(0));

        // Identity 0 has a single image: its K slots all hold that image.
        var onlyImage = Array.IndexOf(Labels, 0);
        var slots = batch.Chunk(4).Single(g => Labels[g[0]] == 0);
        Assert.All(slots, i => Assert.Equal(onlyImage, i));
    }

    [Fact]
    public void IdentitiesWithEnoughImagesNeverRepeatAnImageWithinAnEpoch()
    {
        var sampler = new RandomIdentitySampler(Labels, 2, 2, seed: 5);

        var used = sampler.EpochBatches(0).SelectMany(b => b).Where(i => Labels.Count(l => l == Labels[i]) >= 2).ToList();

        Assert.Equal(used.Count, used.Distinct().Count());
    }

    [Fact]
    public void TheSameSeedAndEpochGiveTheSameBatchesAndAnotherEpochDiffers()
    {
        var a = new RandomIdentitySampler(Labels, 2, 2, seed: 9);
        var b = new RandomIdentitySampler(Labels, 2, 2, seed: 9);

        var epoch0 = a.EpochBatches(0).SelectMany(x => x).ToArray();

        Assert.Equal(epoch0, b.EpochBatches(0).SelectMany(x => x));
        Assert.NotEqual(epoch0, a.EpochBatches(1).SelectMany(x => x));
    }

    [Fact]
    public void MoreIdentitiesPerBatchThanTheDatasetHoldsIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => new RandomIdentitySampler(Labels, 11, 4, seed: 0));

        Assert.Contains("has 10", error.Message);
    }
}
