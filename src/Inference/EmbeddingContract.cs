namespace SanReid.Inference;

/// <summary>
/// The model-file contract between Trainer and Api (DESIGN.md "Contracts"): input <c>images</c> uint8
/// [N, H, W, 3] RGB (N dynamic; H x W is the training size, 256 x 128 by default), cast, /255, ImageNet mean/std and
/// NHWC -> NCHW inside the graph; output <c>embeddings</c> float32 [N, D], L2-normalised. Readers (the Api, rank) take
/// H and W from the graph's input shape.
/// </summary>
public static class EmbeddingContract
{
    /// <summary>Name of the graph input.</summary>
    public const string InputName = "images";

    /// <summary>Name of the graph output.</summary>
    public const string OutputName = "embeddings";

    /// <summary>Default crop height in pixels (the SAN recipe's 256).</summary>
    public const int Height = 256;

    /// <summary>Default crop width in pixels (the SAN recipe's 128).</summary>
    public const int Width = 128;

    /// <summary>Bytes of one crop at the default size (H x W x 3 RGB).</summary>
    public const int CropBytes = Height * Width * 3;

    /// <summary>Smallest accepted input side in pixels (ResNet's stride-16 feature map is then 2 x 2 or more).</summary>
    public const int MinSide = 32;

    /// <summary>Largest accepted input side in pixels.</summary>
    public const int MaxSide = 1024;

    /// <summary>ONNX opset the exporter writes.</summary>
    public const int Opset = 17;

    /// <summary>Epsilon of the L2 normalisation (as torch.nn.functional.normalize).</summary>
    public const float NormEpsilon = 1e-12f;

    /// <summary>One line describing the preprocessing the graph performs, at the default size.</summary>
    public static string Preprocessing => PreprocessingFor(Height, Width);

    /// <summary>One line describing the preprocessing the graph performs for crops of <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static string PreprocessingFor(int height, int width) =>
        $"uint8 RGB NHWC [N,{height},{width},3] -> float32 -> /255 -> (x - [0.485,0.456,0.406]) / [0.229,0.224,0.225] -> NCHW; all inside the graph, clients send raw pixels";

    /// <summary>Checks an input size; returns null when it is valid, else why not.</summary>
    public static string? SizeProblem(int height, int width) =>
        height is < MinSide or > MaxSide || width is < MinSide or > MaxSide || height % 16 != 0 || width % 16 != 0
            ? $"input size {height}x{width} is not supported: height and width must be multiples of 16 between {MinSide} and {MaxSide}"
            : null;
}
