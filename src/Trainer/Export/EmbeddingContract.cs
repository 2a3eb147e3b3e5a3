namespace SanReid.Trainer.Export;

/// <summary>
/// The model-file contract between Trainer and Api (DESIGN.md "Contracts"): input <c>images</c> uint8
/// [N, 256, 128, 3] RGB (N dynamic), cast, /255, ImageNet mean/std and NHWC -> NCHW inside the graph; output
/// <c>embeddings</c> float32 [N, D], L2-normalised.
/// </summary>
public static class EmbeddingContract
{
    /// <summary>Name of the graph input.</summary>
    public const string InputName = "images";

    /// <summary>Name of the graph output.</summary>
    public const string OutputName = "embeddings";

    /// <summary>Crop height in pixels.</summary>
    public const int Height = 256;

    /// <summary>Crop width in pixels.</summary>
    public const int Width = 128;

    /// <summary>Bytes of one crop (H x W x 3 RGB).</summary>
    public const int CropBytes = Height * Width * 3;

    /// <summary>ONNX opset the exporter writes.</summary>
    public const int Opset = 17;

    /// <summary>Epsilon of the L2 normalisation (as torch.nn.functional.normalize).</summary>
    public const float NormEpsilon = 1e-12f;

    /// <summary>One line describing the preprocessing the graph performs.</summary>
    public const string Preprocessing =
        "uint8 RGB NHWC [N,256,128,3] -> float32 -> /255 -> (x - [0.485,0.456,0.406]) / [0.229,0.224,0.225] -> NCHW; all inside the graph, clients send raw pixels";
}
