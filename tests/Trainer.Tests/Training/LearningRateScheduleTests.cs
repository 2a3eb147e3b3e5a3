using SanReid.Trainer.Training;

namespace SanReid.Trainer.Tests.Training;

public sealed class LearningRateScheduleTests
{
    private readonly LearningRateSchedule schedule = new(new TrainingConfig());

    [Theory]
    [InlineData(0, 8e-6)]
    [InlineData(1, 8e-6 * 1.259)]
    [InlineData(10, 8e-6 * 10.00593)] // 1.259^10
    [InlineData(19, 6.3618e-4)] // 8e-6 x 1.259^19
    [InlineData(20, 8e-4)]
    [InlineData(39, 8e-4)]
    [InlineData(40, 4e-4)]
    [InlineData(79, 4e-4)]
    [InlineData(80, 2e-4)]
    [InlineData(120, 1e-4)]
    [InlineData(280, 8e-4 / 128)]
    [InlineData(299, 8e-4 / 128)]
    public void SanScheduleAtChosenEpochs(int epoch, double expected)
    {
        Assert.Equal(expected, schedule.At(epoch), expected * 1e-4);
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
        Assert.Equal(8e-4, fast.At(4));
    }
}
