namespace SanReid.Trainer.Export.Quantization;

/// <summary>The calibration set of a quantized model, as the model card records it.</summary>
/// <param name="Folder">The folder as given (a relative path stays relative; an absolute one is cut to its last two
/// segments: the card is served, a build host's folders are nobody's business).</param>
/// <param name="Images">Images found in the folder.</param>
/// <param name="Count">Crops used to calibrate.</param>
/// <param name="HeldOut">Crops held out for the agreement check.</param>
/// <param name="Method">"min-max", "percentile" or "entropy".</param>
/// <param name="Percentile">p of the percentile method, else null.</param>
public sealed record CardCalibration(string Folder, int Images, int Count, int HeldOut, string Method, double? Percentile);

/// <summary>
/// The <c>quantization</c> object of an int8 model card (and metadata_props key <c>quantization</c>, as compact JSON):
/// the scheme, the fp32 source, the calibration set, the agreement figures measured at quantization and whether the
/// int8 embeddings may share a gallery with the fp32 ones.
/// </summary>
public sealed record CardQuantization
{
    /// <summary>What was quantized and how.</summary>
    public required string Scheme { get; init; }

    /// <summary>File name of the fp32 model.</summary>
    public required string SourceModel { get; init; }

    /// <summary>Graph fingerprint of the fp32 model (<c>ModelFingerprint</c>).</summary>
    public required string SourceFingerprint { get; init; }

    /// <summary>The fp32 model's export parity (|TorchSharp - ONNX Runtime|), when its card had it.</summary>
    public string? SourceParityMaxAbsDiff { get; init; }

    /// <summary>Conv nodes with int8 weights.</summary>
    public required int QuantizedConvs { get; init; }

    /// <summary>Gemm nodes with int8 weights.</summary>
    public required int QuantizedGemms { get; init; }

    /// <summary>Residual Adds on uint8.</summary>
    public required int QuantizedAdds { get; init; }

    /// <summary>BatchNormalization nodes folded into the weights before quantization.</summary>
    public required int FoldedBatchNorms { get; init; }

    /// <summary>The calibration set.</summary>
    public required CardCalibration Calibration { get; init; }

    /// <summary>The acceptance rule the figures passed.</summary>
    public string Thresholds { get; init; } =
        $"held-out mean cosine(int8, fp32) >= {QuantizationAgreement.MinMeanCosine}, top-1 agreement >= {QuantizationAgreement.MinTop1Agreement:P0}; " +
        $"real crops mAP within {QuantizationAgreement.MaxScoreChange * 100:F0} point of fp32, Rank-1 within {QuantizationAgreement.MaxScoreChange * 100:F0} point " +
        "or one query when one query is worth more; top-1 agreement by person when the crops carry pids";

    /// <summary>int8 against fp32 on the held-out crops.</summary>
    public required HeldOutAgreement HeldOutAgreement { get; init; }

    /// <summary>fp32, int8 and mixed scores on real crops, when a folder was checked.</summary>
    public RealCropsAgreement? RealCrops { get; init; }

    /// <summary>True when int8 and fp32 embeddings of the same weights may share one gallery (<see cref="QuantizationAgreement.Comparable"/>).</summary>
    public required bool ComparableWithFp32 { get; init; }
}
