using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Native;

/// <summary>TorchSharp's native library loads on Debian 12 once its GLIBCXX_3.4.32 need is marked weak.</summary>
public class TorchSharpLoadingTests
{
    [Fact]
    public void TorchOnesRunsOnTheCpu()
    {
        using var ones = TorchSharp.torch.ones(2);

        Assert.Equal(new long[] { 2 }, ones.shape);
        Assert.Equal(2f, ones.sum().item<float>());
    }
}
