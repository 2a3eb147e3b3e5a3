namespace SanReid.Inference;

/// <summary>How <see cref="OnnxEmbedder"/> runs its session. The defaults suit a command-line tool: CPU, ONNX
/// Runtime's thread count, runs of at most 32 crops.</summary>
public sealed record OnnxEmbedderOptions
{
    /// <summary>
    /// <c>cpu</c> (default): the CPU provider. <c>auto</c>: CUDA if it loads, else CPU (logged as a warning,
    /// <see cref="OnnxEmbedder.ProviderNote"/> says why). <c>cuda</c>: CUDA or an <see cref="InvalidOperationException"/>.
    /// </summary>
    public string ExecutionProvider { get; init; } = "cpu";

    /// <summary>CUDA device ordinal (with <c>auto</c> or <c>cuda</c>).</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Intra-op threads; 0 = ONNX Runtime's default.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Most crops per session run, 1 or more; a larger call is run in chunks (results do not depend on it).</summary>
    public int MaxBatchSize { get; init; } = 32;
}
