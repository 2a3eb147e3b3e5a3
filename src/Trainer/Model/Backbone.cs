namespace SanReid.Trainer.Model;

/// <summary>The ResNet variant under the SA-Enc.</summary>
public enum Backbone
{
    /// <summary>
    /// ResNet-18 as the ImageNet ONNX in NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 has it: BasicBlock with
    /// [2, 2, 2, 3] blocks (one more block in layer4 than torchvision's resnet18), 512 channels out of layer4.
    /// </summary>
    ResNet18,

    /// <summary>torchvision resnet50: Bottleneck with [3, 4, 6, 3] blocks, 2048 channels out of layer4 (SAN's backbone).</summary>
    ResNet50,
}

/// <summary>Names and shapes of <see cref="Backbone"/> values.</summary>
public static class BackboneNames
{
    /// <summary>The lower-case name used on the command line and in model metadata ("resnet18", "resnet50").</summary>
    public static string Name(this Backbone backbone) => backbone switch
    {
        Backbone.ResNet18 => "resnet18",
        Backbone.ResNet50 => "resnet50",
        _ => throw new ArgumentOutOfRangeException(nameof(backbone), backbone, "Unknown backbone."),
    };

    /// <summary>Parses "resnet18" or "resnet50" (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static Backbone Parse(string name) => name.ToLowerInvariant() switch
    {
        "resnet18" => Backbone.ResNet18,
        "resnet50" => Backbone.ResNet50,
        _ => throw new ArgumentException($"Unknown backbone '{name}'; expected resnet18 or resnet50.", nameof(name)),
    };

    /// <summary>Blocks per stage (layer1..layer4).</summary>
    public static int[] Layers(this Backbone backbone) => backbone switch
    {
        Backbone.ResNet18 => [2, 2, 2, 3],
        Backbone.ResNet50 => [3, 4, 6, 3],
        _ => throw new ArgumentOutOfRangeException(nameof(backbone), backbone, "Unknown backbone."),
    };

    /// <summary>Channels out of the residual block: 1 for BasicBlock, 4 for Bottleneck (times the stage width).</summary>
    public static int Expansion(this Backbone backbone) => backbone == Backbone.ResNet50 ? Bottleneck.Expansion : 1;

    /// <summary>Channels of the layer4 map and of the pooled backbone vector: 512 (resnet18) or 2048 (resnet50).</summary>
    public static int FeatureChannels(this Backbone backbone) => 512 * backbone.Expansion();
}
