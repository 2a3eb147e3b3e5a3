using SanReid.Trainer.Losses;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Losses;

public sealed class TextureL1LossTests
{
    [Fact]
    public void IsTheMeanAbsoluteDifference()
    {
        // |1 - 1.5| + |2 - 2| + |3 - 2| + |4 - 5| = 2.5 over 4 elements.
        using var predicted = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        using var target = tensor(new float[] { 1.5f, 2, 2, 5 }, [1, 1, 2, 2]);
        using var loss = new TextureL1Loss();

        using var value = loss.forward(predicted, target);

        Assert.Equal(0.625f, value.item<float>(), 6);
    }

    [Fact]
    public void ShapesThatDifferAreAnErrorNotABroadcast()
    {
        using var predicted = zeros(2, 3, 4, 4);
        using var target = zeros(1, 3, 4, 4);
        using var loss = new TextureL1Loss();

        Assert.Throws<ArgumentException>(() => loss.forward(predicted, target));
    }
}
