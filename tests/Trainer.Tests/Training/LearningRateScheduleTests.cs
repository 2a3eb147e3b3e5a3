using SanReid.Trainer.Training;

namespace SanReid.Trainer.Tests.Training;

public sealed class LearningRateScheduleTests
{
    private readonly LearningRateSchedule schedule = new(new TrainingConfig());

    [Theory]
    [InlineData(0, 8e-6)] // warm-up Adam, epoch 0: 8e-6 x 1.259^0
    [InlineData(1, 8e-6 * 1.259)]
    [InlineData(10, 8e-6 * 10.00593)] // 1.259^10 = 10.00593
    [InlineData(19, 6.36178e-4)] // last warm-up epoch: 8e-6 x 1.259^19 = 8e-6 x 79.522 = 6.36178e-4
    [InlineData(20, 8e-4)] // fresh AMSGrad, main epoch 0
    [InlineData(59, 8e-4)] // main epoch 39: milestone 40 not reached
    [InlineData(60, 4e-4)] // main epoch 40 = milestone 40: first halving at absolute epoch 20 + 40
    [InlineData(61, 4e-4)]
    [InlineData(99, 4e-4)] // main epoch 79
    [InlineData(100, 2e-4)] // main epoch 80
    [InlineData(140, 1e-4)] // main epoch 120
    [InlineData(299, 8e-4 / 64)] // main epoch 279: six milestones (40..240) passed
    [InlineData(300, 8e-4 / 128)] // main epoch 280: all seven passed
    [InlineData(319, 8e-4 / 128)] // the last of 320 epochs
    public void SanScheduleAtChosenEpochs(int epoch, double expected)
    {
        Assert.Equal(expected, schedule.At(epoch), expected * 1e-5);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(19, true)]
    [InlineData(20, false)]
    [InlineData(319, false)]
    public void TheFirstTwentyEpochsAreWarmUp(int epoch, bool warmup)
    {
        Assert.Equal(warmup, schedule.IsWarmup(epoch));
    }

    [Fact]
    public void WarmUpRisesEveryEpochThenTheBaseRateStarts()
    {
        var warm = Enumerable.Range(0, 20).Select(schedule.At).ToArray();
        Assert.All(warm.Zip(warm.Skip(1)), p => Assert.True(p.Second > p.First));
        Assert.True(warm[^1] < schedule.At(20));
        Assert.Equal(8e-4, schedule.At(20));
    }

    [Fact]
    public void WarmUpIsCappedAtTheBaseRate()
    {
        var fast = new LearningRateSchedule(new TrainingConfig { WarmupFactor = 10, WarmupEpochs = 5 });
        Assert.Equal(8e-4, fast.At(4)); // 8e-6 x 10^4 = 8e-2 > 8e-4
    }

    [Fact]
    public void WithoutWarmUpMilestonesCountFromEpochZero()
    {
        var plain = new LearningRateSchedule(new TrainingConfig { WarmupEpochs = 0, LrMilestones = [3] });
        Assert.Equal(8e-4, plain.At(2));
        Assert.Equal(4e-4, plain.At(3));
        Assert.False(plain.IsWarmup(0));
    }

    [Fact]
    public void TheProofRecipeKeepsItsAbsoluteHalvingEpoch()
    {
        // configs/proof-reid.json: 2 warm-up epochs, milestone 5 of the main phase = absolute epoch 7, where its
        // milestone [7] halved the rate before milestones counted from the end of warm-up.
        var proof = new LearningRateSchedule(TrainingConfig.Load(TrainingTestData.RepoFile("configs/proof-reid.json")));
        Assert.Equal(3.5e-5, proof.At(0), 1e-12);
        Assert.Equal(3.5e-5 * 3.17, proof.At(1), 1e-12);
        Assert.Equal(3.5e-4, proof.At(6));
        Assert.Equal(1.75e-4, proof.At(7));
    }
}
