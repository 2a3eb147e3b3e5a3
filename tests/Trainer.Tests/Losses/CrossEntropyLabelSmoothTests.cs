using SanReid.Trainer.Losses;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Losses;

public sealed class CrossEntropyLabelSmoothTests
{
    [Fact]
    public void MatchesTheHandComputedSmoothedCrossEntropy()
    {
        // Row 0: logits (ln 1, ln 3) -> p = (1/4, 3/4); target 1; q = (0.05, 0.95).
        //   l0 = -(0.05 ln 1/4 + 0.95 ln 3/4) = 0.0693147 + 0.2732980 = 0.3426127
        // Row 1: logits (0, 0) -> p = (1/2, 1/2); target 0; l1 = ln 2 = 0.6931472 whatever q is.
        // Mean = 0.5178800.
        using var logits = tensor(new float[] { 0f, (float)Math.Log(3), 0f, 0f }, [2, 2]);
        using var targets = tensor(new long[] { 1, 0 });
        using var loss = new CrossEntropyLabelSmooth(0.1);

        using var value = loss.forward(logits, targets);

        Assert.Equal(0.5178800, value.item<float>(), 5);
    }

    [Fact]
    public void WithoutSmoothingItIsPlainCrossEntropy()
    {
        using var logits = tensor(new float[] { 1f, 2f, 3f, 0.5f, -1f, 2f }, [2, 3]);
        using var targets = tensor(new long[] { 2, 0 });
        using var loss = new CrossEntropyLabelSmooth(0.0);

        using var value = loss.forward(logits, targets);

        // -log softmax: row 0 target 2: log(e^1 + e^2 + e^3) - 3; row 1 target 0: log(e^0.5 + e^-1 + e^2) - 0.5.
        var expected = ((Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3) + (Math.Log(Math.Exp(0.5) + Math.Exp(-1) + Math.Exp(2)) - 0.5)) / 2;
        Assert.Equal(expected, value.item<float>(), 5);
    }

    [Fact]
    public void ATargetOutsideTheClassesIsAnError()
    {
        using var logits = zeros(2, 3);
        using var targets = tensor(new long[] { 0, 3 });
        using var loss = new CrossEntropyLabelSmooth();

        var error = Assert.Throws<ArgumentException>(() => loss.forward(logits, targets));

        Assert.Contains("0..2", error.Message);
    }
}
