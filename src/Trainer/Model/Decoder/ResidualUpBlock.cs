using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SanReid.Trainer.Model.Decoder;

/// <summary>
/// Residual block of SA-Dec: <c>x + BN(conv3x3(ReLU(BN(conv3x3(x)))))</c>, channels and size unchanged.
/// State-dict keys <c>res.0.weight</c>, <c>res.1.*</c>, <c>res.3.weight</c>, <c>res.4.*</c> as in the SAN public code
/// (BasicResBlock; convolutions without bias).
/// </summary>
public sealed class BasicResBlock : Module<Tensor, Tensor>
{
    private readonly Sequential res;

    /// <summary>Creates the block for <paramref name="channels"/> input and output channels.</summary>
    public BasicResBlock(long channels)
        : base(nameof(BasicResBlock))
    {
        res = Sequential(
            Conv2d(channels, channels, 3, padding: 1, bias: false),
            BatchNorm2d(channels),
            ReLU(),
            Conv2d(channels, channels, 3, padding: 1, bias: false),
            BatchNorm2d(channels));
        RegisterComponents();
    }

    /// <summary>x [N, C, H, W] to [N, C, H, W].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (res.forward(x) + x).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Up-block of SA-Dec (DESIGN.md "SA-Dec"): residual block, ReLU, x2 bilinear upsample, reflection pad 1, conv3x3
/// (with bias): [N, Cin, H, W] to [N, Cout, 2H, 2W]. State-dict keys <c>res.res.*</c> and <c>conv.2.*</c> as the SAN
/// public code's ConvResBlock (its <c>conv</c> = Sequential(Upsample, ReflectionPad2d, Conv2d)).
/// </summary>
public sealed class ConvResBlock : Module<Tensor, Tensor>
{
    private readonly BasicResBlock res;
    private readonly ReLU activation;
    private readonly Sequential conv;

    /// <summary>Creates the block.</summary>
    /// <param name="inChannels">Input channels Cin.</param>
    /// <param name="outChannels">Output channels Cout.</param>
    public ConvResBlock(long inChannels, long outChannels)
        : base(nameof(ConvResBlock))
    {
        res = new BasicResBlock(inChannels);
        activation = ReLU();
        conv = Sequential(
            Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear, align_corners: false),
            ReflectionPad2d(1),
            Conv2d(inChannels, outChannels, 3));
        RegisterComponents();
    }

    /// <summary>x [N, Cin, H, W] to [N, Cout, 2H, 2W].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return conv.forward(activation.forward(res.forward(x))).MoveToOuterDisposeScope();
    }
}
