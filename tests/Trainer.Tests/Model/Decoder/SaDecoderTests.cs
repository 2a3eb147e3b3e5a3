using SanReid.Trainer.Model.Decoder;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Model.Decoder;

public sealed class SaDecoderTests
{
    [Theory]
    [InlineData(256, 128)]
    [InlineData(64, 32)]
    public void ReturnsTheTextureAndTheFourUpBlockMapsForAnInputSize(int h, int w)
    {
        manual_seed(1);
        using var decoder = new SaDecoder();
        decoder.eval();
        using var layer1 = randn(2, 256, h / 4, w / 4);
        using var layer2 = randn(2, 512, h / 8, w / 8);
        using var layer3 = randn(2, 1024, h / 16, w / 16);
        using var layer4 = randn(2, 2048, h / 16, w / 16);

        using var noGrad = no_grad();
        using var output = decoder.forward(layer4, layer1, layer2, layer3);

        Assert.Equal(new long[] { 2, 3, h, 2 * w }, output.Texture.shape);
        Assert.Equal(new long[] { 2, 256, h / 8, w / 8 }, output.Up1.shape);
        Assert.Equal(new long[] { 2, 64, h / 4, w / 4 }, output.Up2.shape);
        Assert.Equal(new long[] { 2, 32, h / 2, w / 2 }, output.Up3.shape);
        Assert.Equal(new long[] { 2, 16, h, w }, output.Up4.shape);
        Assert.Equal(4, output.Maps.Count);
        Assert.True(output.Texture.isfinite().all().item<bool>());
    }

    [Fact]
    public void AcceptsResNet18ChannelCounts()
    {
        using var decoder = new SaDecoder(64, 128, 256, 512);
        decoder.eval();

        using var noGrad = no_grad();
        using var output = decoder.forward(randn(1, 512, 4, 2), randn(1, 64, 16, 8), randn(1, 128, 8, 4), randn(1, 256, 4, 2));

        Assert.Equal(new long[] { 1, 3, 64, 64 }, output.Texture.shape);
    }

    [Fact]
    public void StateDictKeysFollowThePublicCode()
    {
        using var decoder = new SaDecoder();

        var keys = decoder.state_dict().Keys.ToHashSet();

        string[] expected =
        [
            "reduce_dim.0.weight", "reduce_dim.0.bias", "reduce_dim.1.weight", "reduce_dim.1.running_mean",
            "embed_layer1.0.weight", "embed_layer2.1.running_var", "embed_layer3.0.bias",
            "up1.res.res.0.weight", "up1.res.res.1.weight", "up1.res.res.3.weight", "up1.res.res.4.bias",
            "up1.conv.2.weight", "up1.conv.2.bias", "up4.conv.2.weight",
            "final_layer.1.weight", "final_layer.1.bias",
        ];
        Assert.All(expected, k => Assert.Contains(k, keys));
        Assert.DoesNotContain("up1.res.res.0.bias", keys); // residual convs have no bias
        Assert.Equal(new long[] { 3, 16, 7, 7 }, decoder.state_dict()["final_layer.1.weight"].shape);
        Assert.Equal(new long[] { 512, 2048, 1, 1 }, decoder.state_dict()["reduce_dim.0.weight"].shape);
    }

    [Fact]
    public void InitialisesConvWeightsXavierNormalWithGainPoint02AndBatchNormAroundOne()
    {
        manual_seed(2);
        using var decoder = new SaDecoder();
        var state = decoder.state_dict();

        // reduce_dim conv: fan_in 2048, fan_out 512 -> std = 0.02 * sqrt(2 / 2560) = 5.590e-4 (1M samples).
        var reduce = state["reduce_dim.0.weight"];
        Assert.Equal(0.02 * Math.Sqrt(2.0 / 2560), reduce.std().item<float>(), 0.02 * 5.59e-4);
        Assert.Equal(0f, state["reduce_dim.0.bias"].abs().max().item<float>());

        // up1.res.res.0: 512 -> 512, 3x3: fan_in = fan_out = 4608 -> std = 0.02 / sqrt(4608) = 2.946e-4.
        Assert.Equal(0.02 / Math.Sqrt(4608), state["up1.res.res.0.weight"].std().item<float>(), 0.02 * 2.946e-4);

        var bn = state["up1.res.res.1.weight"];
        Assert.Equal(1.0, bn.mean().item<float>(), 0.01);
        Assert.InRange(bn.std().item<float>(), 0.015, 0.025);
        Assert.Equal(0f, state["up1.res.res.1.bias"].abs().max().item<float>());
    }

    [Fact]
    public void GradientsReachTheSkipEmbeddingsAndTheReduction()
    {
        using var decoder = new SaDecoder(64, 128, 256, 512);
        decoder.train();
        using var layer4 = randn(2, 512, 4, 2, requires_grad: true);

        using var output = decoder.forward(layer4, randn(2, 64, 16, 8), randn(2, 128, 8, 4), randn(2, 256, 4, 2));
        using var loss = output.Texture.abs().mean();
        loss.backward();

        var grads = decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        Assert.True(grads["embed_layer1.0.weight"]!.abs().sum().item<float>() > 0);
        Assert.True(grads["reduce_dim.0.weight"]!.abs().sum().item<float>() > 0);
        Assert.True(layer4.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void InconsistentMapSizesAreAnError()
    {
        using var decoder = new SaDecoder(64, 128, 256, 512);

        var error = Assert.Throws<ArgumentException>(() => decoder.forward(randn(1, 512, 4, 2), randn(1, 64, 8, 8), randn(1, 128, 8, 4), randn(1, 256, 4, 2)));

        Assert.Contains("layer1 [1, 64, 8, 8]", error.Message);
    }
}
