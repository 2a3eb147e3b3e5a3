using SanReid.Trainer.Model;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Model;

public class SaEncoderTests
{
    [Fact]
    public void ResNet50GivesTheShapesOfDesignAt256x128()
    {
        using var encoder = new SaEncoder(Backbone.ResNet50, numClasses: 7);
        encoder.eval();
        using var images = randn(1, 3, 256, 128);

        using var _ = no_grad();
        using var features = encoder.Features(images);
        using var logits = encoder.Classify(features.Feature);

        Assert.Equal(new long[] { 1, 512 }, features.Feature.shape);
        Assert.Equal(new long[] { 1, 256, 64, 32 }, features.Layer1.shape);
        Assert.Equal(new long[] { 1, 512, 32, 16 }, features.Layer2.shape);
        Assert.Equal(new long[] { 1, 1024, 16, 8 }, features.Layer3.shape);
        Assert.Equal(new long[] { 1, 2048, 16, 8 }, features.Layer4.shape);
        Assert.Equal(new long[] { 1, 7 }, logits.shape);
    }

    [Fact]
    public void IdentityNeckMakesTheFeatureThePooledBackboneFeature()
    {
        using var encoder = new SaEncoder(Backbone.ResNet18);
        encoder.InitialiseNeckAsIdentity();
        encoder.eval();
        using var images = randn(3, 3, 64, 32);

        using var _ = no_grad();
        using var feature = encoder.forward(images);
        using var pooled = encoder.PooledBackbone(images);
        using var expected = pooled / Math.Sqrt(1 + 1e-5);

        Assert.True(pooled.min().item<float>() >= 0f);
        Assert.True((feature - expected).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void IdentityNeckIsRefusedForResNet50()
    {
        using var encoder = new SaEncoder(Backbone.ResNet50);
        Assert.Throws<InvalidOperationException>(encoder.InitialiseNeckAsIdentity);
    }

    [Fact]
    public void ResNet18HasThreeBlocksInLayer4AndA512ChannelMap()
    {
        using var encoder = new SaEncoder(Backbone.ResNet18);
        encoder.eval();
        using var images = randn(2, 3, 256, 128);

        using var _ = no_grad();
        using var features = encoder.Features(images);
        var keys = encoder.state_dict().Keys.ToHashSet();

        Assert.Equal(new long[] { 2, 512, 16, 8 }, features.Layer4.shape);
        Assert.Contains("layer4.2.conv2.weight", keys);
        Assert.DoesNotContain("layer4.3.conv1.weight", keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys);
        Assert.Contains("layer4.0.downsample.1.running_var", keys);
    }

    [Fact]
    public void StateDictKeysAreTorchvisionNames()
    {
        using var encoder = new SaEncoder(Backbone.ResNet50, numClasses: 751);
        var state = encoder.state_dict();

        Assert.Equal(new long[] { 64, 3, 7, 7 }, state["conv1.weight"].shape);
        Assert.Equal(new long[] { 2048, 1024, 1, 1 }, state["layer4.0.downsample.0.weight"].shape);
        Assert.Equal(new long[] { 512, 512, 3, 3 }, state["layer4.0.conv2.weight"].shape);
        Assert.Equal(new long[] { 512, 2048 }, state["fc.0.weight"].shape);
        Assert.Equal(new long[] { 512 }, state["fc.1.running_mean"].shape);
        Assert.Equal(new long[] { 751, 512 }, state["classifier.weight"].shape);
        Assert.True(state.ContainsKey("bn1.num_batches_tracked"));
    }

    [Fact]
    public void LastStrideOneKeepsLayer4AtLayer3Resolution()
    {
        using var stride1 = new SaEncoder(Backbone.ResNet18, lastStride: 1);
        using var stride2 = new SaEncoder(Backbone.ResNet18, lastStride: 2);
        stride1.eval();
        stride2.eval();
        using var images = randn(1, 3, 256, 128);

        using var _ = no_grad();
        using var a = stride1.Features(images);
        using var b = stride2.Features(images);

        Assert.Equal(new long[] { 1, 512, 16, 8 }, a.Layer4.shape);
        Assert.Equal(new long[] { 1, 512, 8, 4 }, b.Layer4.shape);
    }
}
