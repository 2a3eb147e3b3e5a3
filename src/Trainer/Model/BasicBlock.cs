using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SanReid.Trainer.Model;

/// <summary>
/// torchvision's BasicBlock (He et al., CVPR 2016): conv3x3-BN-ReLU-conv3x3-BN plus the identity or a 1x1
/// <c>downsample</c> (conv, BN), then ReLU. Field names are the state_dict keys.
/// </summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(int inPlanes, int planes, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.call(x);
        var y = bn2.call(conv2.call(relu.call(bn1.call(conv1.call(x)))));
        return relu.call(y.add_(identity)).MoveToOuterDisposeScope();
    }
}
