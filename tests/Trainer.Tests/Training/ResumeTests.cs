using SanReid.Trainer.Training;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class ResumeTests(SyntheticReidFixture data) : IClassFixture<SyntheticReidFixture>
{
    [Theory]
    [InlineData(TrainMode.Baseline)]
    [InlineData(TrainMode.San)]
    public void ResumedRunTakesTheSameNextStepAsAnUninterruptedOne(TrainMode mode)
    {
        var config = TrainingTestData.Tiny("epochs=3", "maxStepsPerEpoch=2");
        var textures = mode == TrainMode.San ? data.Textures : null;

        double[] uninterrupted;
        using (var trainer = new ReidTrainer(config, mode, data.Dataset, textures, new RunFolder(data.NewRunFolder()), CPU, null, resume: false))
        {
            uninterrupted = trainer.Fit().Select(r => r.FirstStepLoss).ToArray();
        }

        var folder = new RunFolder(data.NewRunFolder());
        using (var first = new ReidTrainer(config, mode, data.Dataset, textures, folder, CPU, null, resume: false))
        {
            first.Fit(stopAfter: 2);
        }

        // A new trainer (fresh models and optimisers): epoch 3 can only match if weights, BatchNorm statistics and
        // optimiser moments all come back from the checkpoint.
        using var resumed = new ReidTrainer(config, mode, data.Dataset, textures, folder, CPU, null, resume: true);
        Assert.Equal(2, resumed.StartEpoch);
        var records = resumed.Fit();
        Assert.Equal(3, records.Count);
        Assert.True(Math.Abs(uninterrupted[2] - records[2].FirstStepLoss) < 1e-5, $"uninterrupted {string.Join(", ", uninterrupted)}; resumed {string.Join(", ", records.Select(r => r.FirstStepLoss))}");
        Assert.Equal(uninterrupted[1], records[1].FirstStepLoss, 5);
    }

    [Fact]
    public void ResumeWithoutACheckpointIsAClearError()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            new ReidTrainer(TrainingTestData.Tiny(), TrainMode.Baseline, data.Dataset, null, new RunFolder(data.NewRunFolder()), CPU, null, resume: true));
        Assert.Contains("nothing to resume", e.Message, StringComparison.Ordinal);
    }
}
