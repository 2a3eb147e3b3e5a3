using SanReid.Trainer.Training;

namespace SanReid.Trainer.Tests.Training;

public sealed class TrainingConfigTests
{
    [Fact]
    public void DefaultsAreTheSanRecipe()
    {
        var c = new TrainingConfig();
        Assert.Equal(("resnet50", 256, 128, 16, 4, 320), (c.Backbone, c.Height, c.Width, c.P, c.K, c.Epochs)); // 20 warm-up + 300 main epochs
        Assert.Equal((8e-4, 5e-4, true), (c.Lr, c.WeightDecay, c.Amsgrad));
        Assert.Equal((20, 8e-6, 1.259), (c.WarmupEpochs, c.WarmupStartLr, c.WarmupFactor));
        Assert.Equal([40, 80, 120, 160, 200, 240, 280], c.LrMilestones);
        Assert.Equal(0.5, c.LrDecay);
        Assert.Equal((1e-5, 0.5, 0.999), (c.DecoderLr, c.DecoderBeta1, c.DecoderBeta2));
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (c.IdWeight, c.TripletWeight, c.TextureWeight, c.TripletReidWeight));
        Assert.Equal((0.3, 0.3, 0.1, 0.5), (c.Margin, c.TripletReidMargin, c.LabelSmoothing, c.ErasingProbability));
        Assert.Equal(("random2d", 0.5, "meanValues"), (c.Translation, c.TranslationProbability, c.ErasingFill));
    }

    [Fact]
    public void SanMarketConfigFileHoldsTheDefaultRecipe()
    {
        var file = TrainingTestData.RepoFile("configs/san-market.json");
        var loaded = TrainingConfig.Load(file);
        var defaults = new TrainingConfig();
        // evalEvery is a reporting choice, not part of the recipe.
        Assert.Equal(defaults with { EvalEvery = loaded.EvalEvery, LrMilestones = loaded.LrMilestones }, loaded);
        Assert.Equal(defaults.LrMilestones, loaded.LrMilestones);
    }

    [Fact]
    public void SmallConfigFileLoadsAsResNet18AtSmallSize()
    {
        var c = TrainingConfig.Load(TrainingTestData.RepoFile("configs/small.json"));
        Assert.Equal(("resnet18", 64, 32), (c.Backbone, c.Height, c.Width));
        Assert.Equal(0.5, c.ErasingProbability); // keys it omits keep the SAN defaults
    }

    [Fact]
    public void OverridesParseNumbersWordsArraysAndKeysInAnyCase()
    {
        var c = new TrainingConfig().With(["lr=1e-3", "BACKBONE=resnet18", "lrMilestones=[10, 20]", "amsgrad=false", "tripletReidMining=\"batchhard\""]);
        Assert.Equal(1e-3, c.Lr);
        Assert.Equal("resnet18", c.Backbone);
        Assert.Equal([10, 20], c.LrMilestones);
        Assert.False(c.Amsgrad);
        Assert.Equal("batchhard", c.TripletReidMining);
    }

    [Fact]
    public void LaterOverridesWin()
    {
        Assert.Equal(7, new TrainingConfig().With(["epochs=5", "epochs=7"]).Epochs);
    }

    [Theory]
    [InlineData("lrr=1e-3", "Unknown config key 'lrr'")]
    [InlineData("lr", "is not key=value")]
    [InlineData("epochs=many", "Bad override value")]
    [InlineData("width=100", "width must be height / 2")]
    [InlineData("k=1", "k must be >= 2")]
    [InlineData("backbone=vgg", "backbone must be resnet18 or resnet50")]
    public void BadOverridesAreRejectedWithTheKeyNamed(string pair, string expected)
    {
        var e = Assert.Throws<TrainingConfigException>(() => new TrainingConfig().With([pair]));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeyInAFileIsAnErrorNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sanreid-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ \"lr\": 1e-3, \"learningRate\": 2 }");
        try
        {
            var e = Assert.Throws<TrainingConfigException>(() => TrainingConfig.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
