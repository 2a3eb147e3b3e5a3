using SanReid.Trainer.Losses;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Losses;

public sealed class BatchHardTripletLossTests
{
    [Fact]
    public void MatchesTheHandComputedBatchHardValue()
    {
        // 1-d features 0, 1 (id 0) and 3, 6 (id 1); margin 0.3.
        // anchor 0: hardest pos 1, hardest neg 3 -> max(0, 1 - 3 + 0.3) = 0
        // anchor 1: pos 1, neg |1 - 3| = 2 -> 0
        // anchor 3: pos 3, neg |3 - 1| = 2 -> 1.3
        // anchor 6: pos 3, neg 5 -> 0
        // mean = 1.3 / 4 = 0.325
        using var features = tensor(new float[] { 0f, 1f, 3f, 6f }, [4, 1]);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var loss = new BatchHardTripletLoss(0.3);

        using var value = loss.forward(features, labels);

        Assert.Equal(0.325, value.item<float>(), 5);
    }

    [Fact]
    public void UsesEuclideanDistanceInSeveralDimensions()
    {
        // id 0: (0,0), (3,4) -> pos distance 5; id 1: (0,1), (6,8).
        // anchor (0,0): pos 5, neg min(1, 10) = 1 -> 4.3
        // anchor (3,4): pos 5, neg min(|(3,3)| = 4.2426, |(-3,-4)| = 5) = 4.2426 -> 1.0574
        // anchor (0,1): pos |(6,7)| = 9.2195, neg min(1, |(3,3)| = 4.2426) = 1 -> 8.5195
        // anchor (6,8): pos 9.2195, neg min(10, 5) = 5 -> 4.5195
        using var features = tensor(new float[] { 0, 0, 3, 4, 0, 1, 6, 8 }, [4, 2]);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var loss = new BatchHardTripletLoss(0.3);

        using var value = loss.forward(features, labels);

        var p = Math.Sqrt(85);
        var expected = ((5 - 1 + 0.3) + (5 - Math.Sqrt(18) + 0.3) + (p - 1 + 0.3) + (p - 5 + 0.3)) / 4;
        Assert.Equal(expected, value.item<float>(), 4);
    }

    [Fact]
    public void WellSeparatedIdentitiesGiveZeroLossAndAGradientFlowsOtherwise()
    {
        using var separated = tensor(new float[] { 0f, 0.1f, 5f, 5.1f }, [4, 1]);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var loss = new BatchHardTripletLoss(0.3);
        using var close = tensor(new float[] { 0f, 1f, 1.2f, 2f }, [4, 1]).requires_grad_(true);

        using var zero = loss.forward(separated, labels);
        using var positive = loss.forward(close, labels);
        positive.backward();

        Assert.Equal(0f, zero.item<float>());
        Assert.True(positive.item<float>() > 0);
        Assert.True(close.grad!.abs().sum().item<float>() > 0);
    }
}
