using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SanReid.Trainer.Model;

/// <summary>
/// torchvision's Bottleneck (ResNet v1.5, stride on the 3x3 conv): conv1x1-BN-ReLU-conv3x3-BN-ReLU-conv1x1-BN plus the
/// identity or a 1x1 <c>downsample</c> (conv, BN), then ReLU. Output channels = 4 x planes. Field names are the
/// state_dict keys.
/// </summary>
internal sealed class Bottleneck : Module<Tensor, Tensor>
{
    /// <summary>Output channels per stage width; <see cref="BackboneNames.Expansion"/> reads it.</summary>
    public const int Expansion = 4;

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor> conv3;
    private readonly Module<Tensor, Tensor> bn3;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(int inPlanes, int planes, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(planes * Expansion);
        relu = ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.call(x);
        var y = relu.call(bn1.call(conv1.call(x)));
        y = relu.call(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }
}
