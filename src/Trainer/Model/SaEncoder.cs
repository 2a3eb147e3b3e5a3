using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SanReid.Trainer.Model;

/// <summary>
/// SA-Enc, the re-ID encoder of SAN (Jin et al., AAAI 2020, Sec. 3; DESIGN.md): a torchvision-named ResNet whose
/// layer4 first block has stride 1 ("last stride 1"), global average pooling, and a 512-d neck
/// <c>fc</c> = Sequential(Linear(C, 512), BatchNorm1d(512), ReLU) named as in the public SAN code
/// (torchreid resnet50_fc512), with an optional <c>classifier</c> Linear(512, numClasses) for the ID loss.
/// </summary>
/// <remarks>
/// Input: float32 [N, 3, H, W] RGB, scaled to [0, 1] and normalised with the ImageNet mean (0.485, 0.456, 0.406) and
/// std (0.229, 0.224, 0.225); SAN uses H x W = 256 x 128. For resnet50 at 256 x 128 the layer4 map is 2048 x 16 x 8;
/// for resnet18 it is 512 x 16 x 8. Field names are PyTorch state_dict keys (<c>conv1.weight</c>,
/// <c>layer4.0.downsample.0.weight</c>, <c>fc.0.weight</c>, ...), so torchvision checkpoints load unchanged.
/// </remarks>
public sealed class SaEncoder : Module<Tensor, Tensor>
{
    /// <summary>Width of the re-ID feature (the neck's output).</summary>
    public const int EmbeddingSize = 512;

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Module<Tensor, Tensor> global_avgpool;
    private readonly Sequential fc;
    private readonly Module<Tensor, Tensor>? classifier;

    private int inPlanes = 64;

    /// <summary>Builds an SA-Enc with freshly initialised weights (call <c>torch.manual_seed</c> first for repeatable ones).</summary>
    /// <param name="backbone">resnet18 ([2,2,2,3] BasicBlock) or resnet50 ([3,4,6,3] Bottleneck).</param>
    /// <param name="numClasses">Training identities for the ID classifier; 0 builds no classifier.</param>
    /// <param name="lastStride">Stride of layer4's first block: 1 for SAN (default), 2 for the ImageNet original.</param>
    /// <exception cref="ArgumentOutOfRangeException">numClasses &lt; 0 or lastStride not 1 or 2.</exception>
    public SaEncoder(Backbone backbone, int numClasses = 0, int lastStride = 1) : base(nameof(SaEncoder))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        if (lastStride is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(lastStride), lastStride, "Last stride must be 1 or 2.");
        }

        Backbone = backbone;
        NumClasses = numClasses;
        LastStride = lastStride;
        var layers = backbone.Layers();

        conv1 = Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        layer1 = MakeLayer(64, layers[0], 1);
        layer2 = MakeLayer(128, layers[1], 2);
        layer3 = MakeLayer(256, layers[2], 2);
        layer4 = MakeLayer(512, layers[3], lastStride);
        global_avgpool = AdaptiveAvgPool2d(1);
        fc = Sequential(
            ("0", Linear(backbone.FeatureChannels(), EmbeddingSize)),
            ("1", BatchNorm1d(EmbeddingSize)),
            ("2", ReLU(inplace: true)));
        classifier = numClasses > 0 ? Linear(EmbeddingSize, numClasses) : null;
        RegisterComponents();
        InitialiseParameters();
    }

    /// <summary>The ResNet variant.</summary>
    public Backbone Backbone { get; }

    /// <summary>Identities of the classifier; 0 when there is none.</summary>
    public int NumClasses { get; }

    /// <summary>Stride of layer4's first block (1 for SAN).</summary>
    public int LastStride { get; }

    /// <summary>The re-ID feature: [N, 3, H, W] normalised RGB -> [N, 512] (after the neck's ReLU, not normalised).</summary>
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var (_, _, _, l4) = Backbone4(images);
        return fc.call(Pool(l4)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The feature and the four stage maps the SA-Dec consumes (shapes in <see cref="SaEncoderFeatures"/>).
    /// </summary>
    /// <param name="images">[N, 3, H, W] normalised RGB.</param>
    public SaEncoderFeatures Features(Tensor images)
    {
        using var scope = NewDisposeScope();
        var (l1, l2, l3, l4) = Backbone4(images);
        var feature = fc.call(Pool(l4));
        return new SaEncoderFeatures(
            feature.MoveToOuterDisposeScope(),
            l1.MoveToOuterDisposeScope(),
            l2.MoveToOuterDisposeScope(),
            l3.MoveToOuterDisposeScope(),
            l4.MoveToOuterDisposeScope());
    }

    /// <summary>Globally average-pooled layer4 map, before the neck: [N, 3, H, W] -> [N, 512 or 2048].</summary>
    public Tensor PooledBackbone(Tensor images)
    {
        using var scope = NewDisposeScope();
        var (_, _, _, l4) = Backbone4(images);
        return Pool(l4).MoveToOuterDisposeScope();
    }

    /// <summary>ID logits for the ID loss: [N, 512] feature -> [N, numClasses].</summary>
    /// <exception cref="InvalidOperationException">The encoder was built without a classifier.</exception>
    public Tensor Classify(Tensor feature)
    {
        if (classifier is null)
        {
            throw new InvalidOperationException("This SA-Enc has no classifier (built with numClasses = 0).");
        }

        return classifier.call(feature);
    }

    private (Tensor L1, Tensor L2, Tensor L3, Tensor L4) Backbone4(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
        {
            throw new ArgumentException($"Expected images of shape [N, 3, H, W], got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        var x = maxpool.call(relu.call(bn1.call(conv1.call(images))));
        var l1 = layer1.call(x);
        var l2 = layer2.call(l1);
        var l3 = layer3.call(l2);
        var l4 = layer4.call(l3);
        return (l1, l2, l3, l4);
    }

    private Tensor Pool(Tensor map) => global_avgpool.call(map).flatten(1);

    private Sequential MakeLayer(int planes, int blocks, int stride)
    {
        int expansion = Backbone.Expansion();
        Module<Tensor, Tensor>? downsample = null;
        if (stride != 1 || inPlanes != planes * expansion)
        {
            downsample = Sequential(
                ("0", Conv2d(inPlanes, planes * expansion, kernel_size: 1, stride: stride, bias: false)),
                ("1", BatchNorm2d(planes * expansion)));
        }

        var modules = new List<(string, Module<Tensor, Tensor>)> { ("0", MakeBlock(inPlanes, planes, stride, downsample)) };
        inPlanes = planes * expansion;
        for (int i = 1; i < blocks; i++)
        {
            modules.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), MakeBlock(inPlanes, planes, 1, null)));
        }

        return Sequential(modules);
    }

    private Module<Tensor, Tensor> MakeBlock(int inputPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample) =>
        Backbone == Backbone.ResNet50
            ? new Bottleneck(inputPlanes, planes, stride, downsample)
            : new BasicBlock(inputPlanes, planes, stride, downsample);

    /// <summary>
    /// Sets the neck's Linear to the identity (weight I, bias 0) and its BatchNorm1d to its initial state, so that in eval
    /// mode the 512-d feature equals the pooled backbone feature (divided by sqrt(1 + 1e-5)); the ReLU passes it
    /// unchanged because pooled post-ReLU features are non-negative. Used for an untrained neck (the default model),
    /// where a random projection followed by ReLU would only discard information.
    /// </summary>
    /// <exception cref="InvalidOperationException">The backbone's pooled width is not 512 (resnet50: 2048).</exception>
    public void InitialiseNeckAsIdentity()
    {
        if (Backbone.FeatureChannels() != EmbeddingSize)
        {
            throw new InvalidOperationException(
                $"An identity neck needs a {EmbeddingSize}-wide backbone; {Backbone.Name()} pools {Backbone.FeatureChannels()} channels.");
        }

        using var noGrad = no_grad();
        var linear = (Linear)fc[0];
        linear.weight!.copy_(eye(EmbeddingSize));
        linear.bias!.zero_();
        var bn = (BatchNorm1d)fc[1];
        init.ones_(bn.weight);
        init.zeros_(bn.bias);
        bn.running_mean!.zero_();
        bn.running_var!.fill_(1);
    }

    // Initialisation of the public SAN code (torchreid ResNet._init_params).
    private void InitialiseParameters()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    break;
                case BatchNorm1d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    break;
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.01);
                    if (linear.bias is not null)
                    {
                        init.zeros_(linear.bias);
                    }

                    break;
            }
        }
    }
}
