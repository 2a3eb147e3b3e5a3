using SanReid.Trainer.Model;
using SanReid.Trainer.Training;
using SanReid.Trainer.Weights;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class ShortTrainingRunTests(SyntheticReidFixture data) : IClassFixture<SyntheticReidFixture>
{
    [Fact]
    public void BaselineLossFallsOverAShortRun()
    {
        // ImageNet-initialised as the real recipe is; 10 epochs of 4 P x K steps at 64x32, no random erasing.
        var config = TrainingTestData.Tiny("epochs=10", "erasingProbability=0");
        using var trainer = new ReidTrainer(config, TrainMode.Baseline, data.Dataset, null, new RunFolder(data.NewRunFolder()), CPU, data.ImageNetWeights(), resume: false);
        var records = trainer.Fit();
        Assert.Equal(10, records.Count);
        var first = records.Take(2).Average(r => r.Losses["total"]);
        var last = records.TakeLast(3).Average(r => r.Losses["total"]);
        Assert.True(last < 0.92 * first, $"mean total loss went from {first:F4} (epochs 1-2) to {last:F4} (epochs 8-10): " +
            string.Join("; ", records.Select(r => string.Join(", ", r.Losses.Select(p => $"{p.Key} {p.Value:F3}")))));
    }

    [Fact]
    public void SanRunLogsAllFourLossesAndWritesExportableWeights()
    {
        var folder = new RunFolder(data.NewRunFolder());
        var config = TrainingTestData.Tiny("epochs=2", "previewEvery=2", "evalEvery=2");
        using (var trainer = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, folder, CPU, null, resume: false))
        {
            var records = trainer.Fit();
            Assert.All(new[] { "id", "triplet", "texture", "tripletReid", "total" }, key => Assert.True(records[^1].Losses.ContainsKey(key), key));
            Assert.All(records[^1].Losses.Values, v => Assert.True(double.IsFinite(v)));
            Assert.NotNull(records[^1].Eval);
            Assert.InRange(records[^1].Eval!["mAP"], 0.0, 1.0);
        }

        Assert.Equal(2, File.ReadAllLines(folder.MetricsFile).Length);
        Assert.True(File.Exists(folder.CurvesFile));
        Assert.True(File.Exists(folder.PreviewFile(2)));
        // What export --weights does: an SA-Enc without classifier loads the trained file (classifier.* ignored).
        using var exportEncoder = new SaEncoder(Backbone.ResNet18);
        var state = StateDictFiles.Read(folder.EncoderFile);
        StateDictFiles.LoadEncoder(exportEncoder, state, folder.EncoderFile);
        Assert.Contains("classifier.weight", state.Keys);
        Assert.Contains("layer4.2.bn2.running_var", state.Keys);
    }

    [Fact]
    public void AblationFlagsRemoveTheirLossTerms()
    {
        var config = TrainingTestData.Tiny("epochs=1", "maxStepsPerEpoch=1", "idWeight=0", "tripletReidWeight=0");
        using var trainer = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, new RunFolder(data.NewRunFolder()), CPU, null, resume: false);
        var losses = trainer.Fit()[0].Losses;
        Assert.False(losses.ContainsKey("id"));
        Assert.False(losses.ContainsKey("tripletReid"));
        Assert.True(losses.ContainsKey("triplet"));
        Assert.True(losses.ContainsKey("texture"));
    }

    [Fact]
    public void EveryLossOffIsAConfigError()
    {
        var config = TrainingTestData.Tiny("idWeight=0", "tripletWeight=0");
        Assert.Throws<TrainingConfigException>(() => new ReidTrainer(config, TrainMode.Baseline, data.Dataset, null, new RunFolder(data.NewRunFolder()), CPU, null, resume: false));
    }
}
