using SanReid.Trainer.Losses;
using SanReid.Trainer.Model;
using SanReid.Trainer.Model.Decoder;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Model.Decoder;

/// <summary>SA-Enc and SA-Dec together: the texture step of SAN (L1 + Triplet ReID) reaches the encoder.</summary>
public sealed class SaEncoderDecoderTests
{
    [Fact]
    public void TheTextureStepLossesBackpropagateIntoTheEncoder()
    {
        manual_seed(5);
        using var encoder = new SaEncoder(Backbone.ResNet18, numClasses: 2);
        using var decoder = SaDecoder.For(Backbone.ResNet18);
        encoder.train();
        decoder.train();
        using var images = randn(4, 3, 64, 32);
        using var textures = rand(4, 3, 64, 64) * 2 - 1;
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var l1 = new TextureL1Loss();
        using var tri = new TripletReidConstraints(margin: 0.3, seed: 1);

        using var features = encoder.Features(images);
        using var output = decoder.Decode(features);
        using var loss = l1.forward(output.Texture, textures) + tri.forward(output.Maps, labels);
        loss.backward();

        Assert.Equal(new long[] { 4, 3, 64, 64 }, output.Texture.shape);
        Assert.True(float.IsFinite(loss.item<float>()));
        var encoderGrad = encoder.named_parameters().Single(p => p.name == "layer1.0.conv1.weight").parameter.grad;
        Assert.True(encoderGrad!.abs().sum().item<float>() > 0);
    }
}
