using SanReid.Trainer.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Training;

/// <summary>The san step as the public code runs it: one forward pass per batch; warm-up Adam, then a fresh AMSGrad.</summary>
[Collection(TrainingCollection.Name)]
public sealed class SanStepTests(SyntheticReidFixture data) : IClassFixture<SyntheticReidFixture>
{
    [Fact]
    public void TheTextureStepReusesTheForwardPassSoBatchNormCountsOneBatchPerStep()
    {
        // 1 epoch in san mode with every loss on: 8 identities / P 4 = 2 batches. One forward per batch: each BatchNorm's
        // num_batches_tracked goes 0 -> 2 (a second SA-Enc forward for the texture step would give 4 in the encoder).
        var folder = new RunFolder(data.NewRunFolder());
        var config = TrainingTestData.Tiny("epochs=1");
        using var trainer = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, folder, CPU, null, resume: false);

        var record = trainer.Fit()[0];
        var losses = record.Losses;
        Assert.Equal(2, record.Steps);

        Assert.All(new[] { "id", "triplet", "texture", "tripletReid" }, key => Assert.True(losses.ContainsKey(key), key));
        var encoderState = trainer.Encoder.state_dict();
        Assert.Equal(2L, encoderState["bn1.num_batches_tracked"].item<long>());
        Assert.Equal(2L, encoderState["layer4.1.bn2.num_batches_tracked"].item<long>());
        Assert.Equal(2L, encoderState["fc.1.num_batches_tracked"].item<long>());
        var decoderState = Safetensors.LoadStateDict(Path.Combine(folder.CheckpointDir, "decoder.safetensors"));
        Assert.Equal(2L, decoderState["reduce_dim.1.num_batches_tracked"].item<long>());
        Assert.Equal(2L, decoderState["up4.res.res.4.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void WarmUpHasItsOwnAdamAndTheAmsgradStartsFreshAfterIt()
    {
        // 2 warm-up epochs + 1 main epoch, 2 steps each, san mode.
        var config = TrainingTestData.Tiny("epochs=3", "maxStepsPerEpoch=2", "warmupEpochs=2", "warmupStartLr=8e-5", "warmupFactor=2", "lr=8e-4");
        var folder = new RunFolder(data.NewRunFolder());
        using (var trainer = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, folder, CPU, null, resume: false))
        {
            // Inside warm-up (1 epoch done): the checkpoint holds the warm-up Adam after 2 steps, plain Adam (no max_exp_avg_sq).
            var records = trainer.Fit(stopAfter: 1);
            Assert.Equal(8e-5, records[0].Lr);
            var state = OptimizerKeys(folder);
            Assert.Equal(2L, state["warmup.state.0.step"]);
            Assert.DoesNotContain("warmup.state.0.max_exp_avg_sq", state.Keys);
            Assert.DoesNotContain(state.Keys, k => k.StartsWith("encoder.", StringComparison.Ordinal));
            Assert.Equal(2L, state["texture.state.0.step"]);
        }

        using (var resumed = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, folder, CPU, null, resume: true))
        {
            // At the boundary (2 epochs done): the main AMSGrad has not stepped yet, 0 steps; the texture Adam carries on (4).
            var records = resumed.Fit(stopAfter: 2);
            Assert.Equal(1.6e-4, records[1].Lr, 1e-12); // 8e-5 x 2^1
            var state = OptimizerKeys(folder);
            Assert.Equal(0L, state["encoder.state.0.step"]);
            Assert.Contains("encoder.state.0.max_exp_avg_sq", state.Keys);
            Assert.DoesNotContain(state.Keys, k => k.StartsWith("warmup.", StringComparison.Ordinal));
            Assert.Equal(4L, state["texture.state.0.step"]);
        }

        using (var resumed = new ReidTrainer(config, TrainMode.San, data.Dataset, data.Textures, folder, CPU, null, resume: true))
        {
            var records = resumed.Fit();
            Assert.Equal(8e-4, records[2].Lr); // main epoch 0
            var state = OptimizerKeys(folder);
            Assert.Equal(2L, state["encoder.state.0.step"]); // fresh: only the 2 main-phase steps
            Assert.Equal(6L, state["texture.state.0.step"]);
        }
    }

    private static Dictionary<string, long> OptimizerKeys(RunFolder folder)
    {
        var tensors = Safetensors.LoadStateDict(Path.Combine(folder.CheckpointDir, "optimizer.safetensors"));
        return tensors.ToDictionary(p => p.Key, p => p.Key.EndsWith(".step", StringComparison.Ordinal) ? p.Value.item<long>() : -1L);
    }
}
