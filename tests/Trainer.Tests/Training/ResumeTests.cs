using SanReid.Trainer.Training;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class ResumeTests(SyntheticReidFixture data) : IClassFixture<SyntheticReidFixture>
{
    [Theory]
    [InlineData(TrainMode.Baseline, 0, 2)]
    [InlineData(TrainMode.San, 0, 2)]
    [InlineData(TrainMode.Baseline, 2, 2)] // resumed at the boundary: the fresh AMSGrad starts (SanStepTests: the texture Adam carries on)
    [InlineData(TrainMode.Baseline, 2, 1)] // resumed inside warm-up: the warm-up Adam's moments come back
    public void ResumedRunTakesTheSameNextStepAsAnUninterruptedOne(TrainMode mode, int warmupEpochs, int stopAfter)
    {
        var config = TrainingTestData.Tiny("epochs=3", "maxStepsPerEpoch=2", $"warmupEpochs={warmupEpochs}", "warmupStartLr=2e-4", "warmupFactor=2");
        var textures = mode == TrainMode.San ? data.Textures : null;

        double[] uninterrupted;
        using (var trainer = new ReidTrainer(config, mode, data.Dataset, textures, new RunFolder(data.NewRunFolder()), CPU, null, resume: false))
        {
            uninterrupted = trainer.Fit().Select(r => r.FirstStepLoss).ToArray();
        }

        var folder = new RunFolder(data.NewRunFolder());
        using (var first = new ReidTrainer(config, mode, data.Dataset, textures, folder, CPU, null, resume: false))
        {
            first.Fit(stopAfter: stopAfter);
        }

        // A new trainer (fresh models and optimisers): the epochs after the stop can only match if weights, BatchNorm
        // statistics and the moments of the optimisers in use all come back from the checkpoint.
        using var resumed = new ReidTrainer(config, mode, data.Dataset, textures, folder, CPU, null, resume: true);
        Assert.Equal(stopAfter, resumed.StartEpoch);
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
