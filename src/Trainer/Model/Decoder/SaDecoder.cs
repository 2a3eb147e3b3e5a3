using SanReid.Trainer.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SanReid.Trainer.Model.Decoder;

/// <summary>
/// SA-Dec outputs. Shapes for a 256x128 SA-Enc input (last stride 1): <see cref="Texture"/> [N, 3, 256, 256];
/// <see cref="Up1"/> [N, 256, 32, 16], <see cref="Up2"/> [N, 64, 64, 32], <see cref="Up3"/> [N, 32, 128, 64],
/// <see cref="Up4"/> [N, 16, 256, 128]. The caller owns and disposes the tensors.
/// </summary>
/// <param name="Texture">Predicted UV texture, RGB, target range [-1, 1] (not clamped: no tanh, as the public code).</param>
/// <param name="Up1">Output of up1 (a Triplet ReID constraint map).</param>
/// <param name="Up2">Output of up2.</param>
/// <param name="Up3">Output of up3.</param>
/// <param name="Up4">Output of up4.</param>
public sealed record SaDecoderOutput(Tensor Texture, Tensor Up1, Tensor Up2, Tensor Up3, Tensor Up4) : IDisposable
{
    /// <summary>The four up-block maps in order up1..up4, the inputs of the Triplet ReID constraints.</summary>
    public IReadOnlyList<Tensor> Maps => [Up1, Up2, Up3, Up4];

    /// <inheritdoc />
    public void Dispose()
    {
        Texture.Dispose();
        Up1.Dispose();
        Up2.Dispose();
        Up3.Dispose();
        Up4.Dispose();
    }
}

/// <summary>
/// SA-Dec, the texture decoder of SAN (Jin et al., AAAI 2020, section 3.2; DESIGN.md "SA-Dec"); training only.
/// </summary>
/// <remarks>
/// <para>Structure (state-dict keys as the SAN public code's ConvResDecoder, so its checkpoints load):</para>
/// <list type="bullet">
/// <item><c>reduce_dim</c>: 1x1 conv + BN + ReLU, layer4 channels (2048) to 512.</item>
/// <item><c>embed_layer3/2/1</c>: 1x1 conv + BN + ReLU on the skips: layer3 1024 to 512, layer2 512 to 256, layer1 256 to 64.</item>
/// <item><c>up1..up4</c> (<see cref="ConvResBlock"/>): 512 to 256, 256 to 64, 64 to 32, 32 to 16 channels, each x2 in size.
/// Skips are added (U-Net style, not concatenated): layer3 before up1, layer2 before up2, layer1 before up3.</item>
/// <item><c>final_layer</c>: reflection pad 3 + conv7x7 16 to 3, then bilinear resize (align corners) from H x W to
/// H x 2W (256x128 to 256x256). No tanh.</item>
/// </list>
/// <para>Initialisation: every conv weight Xavier-normal with gain 0.02, conv biases 0; BatchNorm weight ~ N(1, 0.02),
/// bias 0 (the public code's init_decoder_weights). Draws use TorchSharp's global generator (seed it with
/// <c>torch.manual_seed</c>).</para>
/// <para>Input sizes: the four maps must be consistent with an input of H x W and last stride 1: layer4 and layer3
/// at H/16 x W/16, layer2 at H/8 x W/8, layer1 at H/4 x W/4. Any H, W divisible by 16 works (64x32 in tests).</para>
/// </remarks>
public sealed class SaDecoder : Module<Tensor, Tensor, Tensor, Tensor, SaDecoderOutput>
{
    /// <summary>Xavier gain of the public code's decoder initialisation.</summary>
    public const double InitGain = 0.02;

    private readonly Sequential embed_layer3;
    private readonly Sequential embed_layer2;
    private readonly Sequential embed_layer1;
    private readonly Sequential reduce_dim;
    private readonly ConvResBlock up1;
    private readonly ConvResBlock up2;
    private readonly ConvResBlock up3;
    private readonly ConvResBlock up4;
    private readonly Sequential final_layer;

    /// <summary>Creates SA-Dec for an encoder with the given layer1..layer4 channel counts (defaults: ResNet-50).</summary>
    /// <param name="layer1Channels">Channels of layer1 (ResNet-50 256, ResNet-18 64).</param>
    /// <param name="layer2Channels">Channels of layer2 (ResNet-50 512, ResNet-18 128).</param>
    /// <param name="layer3Channels">Channels of layer3 (ResNet-50 1024, ResNet-18 256).</param>
    /// <param name="layer4Channels">Channels of layer4 (ResNet-50 2048, ResNet-18 512).</param>
    public SaDecoder(long layer1Channels = 256, long layer2Channels = 512, long layer3Channels = 1024, long layer4Channels = 2048)
        : base(nameof(SaDecoder))
    {
        embed_layer3 = Embed(layer3Channels, 512);
        embed_layer2 = Embed(layer2Channels, 256);
        embed_layer1 = Embed(layer1Channels, 64);
        reduce_dim = Embed(layer4Channels, 512);
        up1 = new ConvResBlock(512, 256);
        up2 = new ConvResBlock(256, 64);
        up3 = new ConvResBlock(64, 32);
        up4 = new ConvResBlock(32, 16);
        final_layer = Sequential(ReflectionPad2d(3), Conv2d(16, 3, 7));
        RegisterComponents();
        InitialiseWeights(this, InitGain);
    }

    /// <summary>SA-Dec sized for an SA-Enc backbone (resnet50: 256/512/1024/2048 channels; resnet18: 64/128/256/512).</summary>
    public static SaDecoder For(Backbone backbone)
    {
        long e = backbone.Expansion();
        return new SaDecoder(64 * e, 128 * e, 256 * e, 512 * e);
    }

    /// <summary>Decodes SA-Enc's stage maps (see <see cref="forward"/>); the encoder features stay owned by the caller.</summary>
    public SaDecoderOutput Decode(SaEncoderFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return forward(features.Layer4, features.Layer1, features.Layer2, features.Layer3);
    }

    /// <summary>Decodes the encoder maps into a texture and the four up-block maps.</summary>
    /// <param name="layer4">SA-Enc layer4 output [N, 2048, H/16, W/16].</param>
    /// <param name="layer1">layer1 output [N, 256, H/4, W/4].</param>
    /// <param name="layer2">layer2 output [N, 512, H/8, W/8].</param>
    /// <param name="layer3">layer3 output [N, 1024, H/16, W/16].</param>
    /// <returns>Texture [N, 3, H, 2W] and maps up1 [N, 256, H/8, W/8], up2 [N, 64, H/4, W/4], up3 [N, 32, H/2, W/2], up4 [N, 16, H, W].</returns>
    /// <exception cref="ArgumentException">The maps' batch sizes or spatial sizes are inconsistent.</exception>
    public override SaDecoderOutput forward(Tensor layer4, Tensor layer1, Tensor layer2, Tensor layer3)
    {
        CheckShapes(layer4, layer1, layer2, layer3);
        using var scope = NewDisposeScope();
        var x = up1.forward(embed_layer3.forward(layer3) + reduce_dim.forward(layer4));
        var sim1 = x;
        x = up2.forward(embed_layer2.forward(layer2) + x);
        var sim2 = x;
        x = up3.forward(embed_layer1.forward(layer1) + x);
        var sim3 = x;
        x = up4.forward(x);
        var sim4 = x;
        x = final_layer.forward(x);
        var texture = functional.interpolate(x, size: [x.shape[2], x.shape[3] * 2], mode: InterpolationMode.Bilinear, align_corners: true);
        return new SaDecoderOutput(
            texture.MoveToOuterDisposeScope(),
            sim1.MoveToOuterDisposeScope(),
            sim2.MoveToOuterDisposeScope(),
            sim3.MoveToOuterDisposeScope(),
            sim4.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The public code's decoder initialisation: conv (and linear) weights Xavier-normal with <paramref name="gain"/>
    /// (std = gain * sqrt(2 / (fan_in + fan_out))), their biases 0; BatchNorm2d weights ~ N(1, gain), biases 0.
    /// </summary>
    public static void InitialiseWeights(Module module, double gain)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case TorchSharp.Modules.Conv2d or TorchSharp.Modules.Linear:
                    var weight = ((Module)m).get_parameter("weight")!;
                    var fanIn = weight.shape[1] * weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
                    var fanOut = weight.shape[0] * weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
                    // Computed here rather than with init.xavier_normal_ so the distribution is explicit and checked by a test.
                    init.normal_(weight, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
                    if (((Module)m).get_parameter("bias") is { } bias)
                    {
                        init.zeros_(bias);
                    }

                    break;
                case TorchSharp.Modules.BatchNorm2d bn:
                    init.normal_(bn.weight!, 1.0, gain);
                    init.zeros_(bn.bias!);
                    break;
            }
        }
    }

    private static Sequential Embed(long inChannels, long outChannels) =>
        Sequential(Conv2d(inChannels, outChannels, 1), BatchNorm2d(outChannels), ReLU());

    private static void CheckShapes(Tensor layer4, Tensor layer1, Tensor layer2, Tensor layer3)
    {
        static string S(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
        var ok = layer4.dim() == 4 && layer1.dim() == 4 && layer2.dim() == 4 && layer3.dim() == 4
            && layer1.shape[0] == layer4.shape[0] && layer2.shape[0] == layer4.shape[0] && layer3.shape[0] == layer4.shape[0]
            && layer3.shape[2] == layer4.shape[2] && layer3.shape[3] == layer4.shape[3]
            && layer2.shape[2] == 2 * layer4.shape[2] && layer2.shape[3] == 2 * layer4.shape[3]
            && layer1.shape[2] == 4 * layer4.shape[2] && layer1.shape[3] == 4 * layer4.shape[3];
        if (!ok)
        {
            throw new ArgumentException(
                $"SA-Dec needs layer4 and layer3 at h x w, layer2 at 2h x 2w, layer1 at 4h x 4w (one batch size); got layer4 {S(layer4)}, layer1 {S(layer1)}, layer2 {S(layer2)}, layer3 {S(layer3)}.");
        }
    }
}
