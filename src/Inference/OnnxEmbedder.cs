using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SanReid.Imaging;

namespace SanReid.Inference;

/// <summary>
/// Embeds crops with an exported model on ONNX Runtime: the one implementation of <see cref="EmbeddingContract"/> for
/// the Api and the Trainer. Input <c>images</c> uint8 [N, H, W, 3] RGB (H x W fixed in the graph, 256 x 128 for SA-Enc),
/// output <c>embeddings</c> float32 [N, D], L2-normalised by the graph; H, W and D are read from the graph. One session
/// for the life of the object (InferenceSession.Run is thread-safe); an embedding does not depend on the rest of its
/// batch (eval-mode graph). Dispose releases the native session; whoever constructs the embedder disposes it (in the
/// Api, the DI container owns the singleton).
/// </summary>
public sealed class OnnxEmbedder : IDisposable
{
    private static readonly string[] InputNames = [EmbeddingContract.InputName];
    private static readonly string[] OutputNames = [EmbeddingContract.OutputName];

    private readonly InferenceSession _session;
    private readonly int _maxBatchSize;

    /// <summary>Loads <paramref name="modelPath"/> and checks it follows <see cref="EmbeddingContract"/>.</summary>
    /// <param name="modelPath">Path of the ONNX file.</param>
    /// <param name="options">Provider, threads and run size; null: <see cref="OnnxEmbedderOptions"/>' defaults (CPU).</param>
    /// <param name="logger">Receives the provider choice and the model's signature; null: none.</param>
    /// <exception cref="FileNotFoundException">No model file.</exception>
    /// <exception cref="InvalidDataException">The file is not a loadable ONNX model, or its input or output does not
    /// follow the contract (input <c>images</c> uint8 [N, H, W, 3] with fixed H and W, output <c>embeddings</c>
    /// float32 [N, D]); the message names the file and the contract.</exception>
    /// <exception cref="InvalidOperationException"><c>cuda</c> was required and its provider failed to load.</exception>
    public OnnxEmbedder(string modelPath, OnnxEmbedderOptions? options = null, ILogger? logger = null)
    {
        options ??= new OnnxEmbedderOptions();
        logger ??= NullLogger.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1, nameof(options));
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model file '{modelPath}' not found.", modelPath);
        }

        ModelPath = modelPath;
        _maxBatchSize = options.MaxBatchSize;
        (_session, ExecutionProvider, ProviderNote) = CreateSession(modelPath, options, logger);

        if (ContractProblem(_session) is { } problem)
        {
            _session.Dispose();
            throw new InvalidDataException($"{modelPath}: {problem}; the model contract is {Contract}.");
        }

        Dimension = _session.OutputMetadata[EmbeddingContract.OutputName].Dimensions[^1];
        var inputDims = _session.InputMetadata[EmbeddingContract.InputName].Dimensions;
        Height = inputDims[1];
        Width = inputDims[2];
        var meta = _session.ModelMetadata;
        Metadata = new Dictionary<string, string>(meta.CustomMetadataMap);
        ProducerName = meta.ProducerName;
        GraphName = meta.GraphName;
        Description = meta.Description;
        Version = meta.Version;
        logger.LogInformation("Model {Path}: input {Input} [N,{H},{W},3] uint8, output {Output} [N,{D}] float32, provider {Provider}",
            modelPath, InputName, Height, Width, OutputName, Dimension, ExecutionProvider);
    }

    /// <summary>One line stating the input/output contract the model must follow.</summary>
    public static string Contract =>
        $"input '{EmbeddingContract.InputName}' uint8 [N, H, W, 3] RGB (H x W fixed, {EmbeddingContract.Height} x {EmbeddingContract.Width} by default), " +
        $"output '{EmbeddingContract.OutputName}' float32 [N, D] L2-normalised";

    /// <summary>Path of the loaded model, as given.</summary>
    public string ModelPath { get; }

    /// <summary><c>CUDA</c> or <c>CPU</c>: the provider the session runs on.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA is not in use when <c>auto</c> was asked for (the native error), else null.</summary>
    public string? ProviderNote { get; }

    /// <summary>Input height H in pixels, from the graph's input shape (256 for SA-Enc).</summary>
    public int Height { get; }

    /// <summary>Input width W in pixels, from the graph's input shape (128 for SA-Enc).</summary>
    public int Width { get; }

    /// <summary>Bytes of one crop, H x W x 3.</summary>
    public int CropBytes => Height * Width * 3;

    /// <summary>Embedding size D, from the output's shape.</summary>
    public int Dimension { get; }

    /// <summary>The model's metadata_props (the model card: backbone, input size, preprocessing, training data, scores).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>ONNX producer name.</summary>
    public string ProducerName { get; }

    /// <summary>ONNX graph name.</summary>
    public string GraphName { get; }

    /// <summary>ONNX doc string.</summary>
    public string Description { get; }

    /// <summary>ONNX model version (long.MaxValue when the file sets none).</summary>
    public long Version { get; }

    /// <summary>Name of the input (<c>images</c>).</summary>
    public string InputName => EmbeddingContract.InputName;

    /// <summary>Name of the output (<c>embeddings</c>).</summary>
    public string OutputName => EmbeddingContract.OutputName;

    /// <summary>Options for <see cref="CropDecoder"/> that give this model's input size.</summary>
    public CropDecoderOptions DecoderOptions(long maxPixels, long maxBytes) =>
        new() { Height = Height, Width = Width, MaxPixels = maxPixels, MaxBytes = maxBytes };

    /// <summary>
    /// Embeds crops of exactly <see cref="Height"/> x <see cref="Width"/> RGB (as <see cref="CropDecoder.DecodeAndResize"/> gives),
    /// in runs of at most <see cref="OnnxEmbedderOptions.MaxBatchSize"/>. Each result has length <see cref="Dimension"/>, unit L2 norm.
    /// </summary>
    /// <exception cref="ArgumentException">A crop of the wrong size.</exception>
    /// <exception cref="InvalidOperationException">The model returned the wrong shape or non-finite values.</exception>
    public float[][] Embed(IReadOnlyList<RgbCrop> crops)
    {
        CheckCrops(crops);
        int cropBytes = CropBytes;
        var result = new float[crops.Count][];
        var rows = new float[Math.Min(_maxBatchSize, crops.Count) * Dimension];
        for (int start = 0; start < crops.Count; start += _maxBatchSize)
        {
            int n = Math.Min(_maxBatchSize, crops.Count - start);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(n * cropBytes);
            try
            {
                for (int i = 0; i < n; i++)
                    crops[start + i].Pixels.CopyTo(buffer, i * cropBytes);
                Run(new Memory<byte>(buffer, 0, n * cropBytes), n, rows);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            for (int i = 0; i < n; i++)
            {
                var row = rows.AsSpan(i * Dimension, Dimension).ToArray();
                foreach (var v in row)
                {
                    if (!float.IsFinite(v))
                        throw new InvalidOperationException("Model produced a non-finite embedding.");
                }

                result[start + i] = row;
            }
        }

        return result;
    }

    /// <summary><paramref name="count"/> crops (count x H x W x 3 RGB bytes, row-major) -> count x D floats, rows
    /// L2-normalised by the graph.</summary>
    /// <exception cref="ArgumentException">Wrong buffer length.</exception>
    /// <exception cref="InvalidOperationException">The model returned the wrong shape.</exception>
    public float[] Embed(byte[] crops, int count)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (count < 0 || crops.Length != (long)count * CropBytes)
        {
            throw new ArgumentException($"Expected {count} crops of {Height}x{Width}x3 = {CropBytes} bytes, got {crops.Length} bytes.", nameof(crops));
        }

        var result = new float[count * Dimension];
        for (int start = 0; start < count; start += _maxBatchSize)
        {
            int n = Math.Min(_maxBatchSize, count - start);
            Run(new Memory<byte>(crops, start * CropBytes, n * CropBytes), n, result.AsSpan(start * Dimension, n * Dimension));
        }

        return result;
    }

    /// <summary>Throws unless every crop is <see cref="Height"/> x <see cref="Width"/> RGB (what <see cref="Embed(IReadOnlyList{RgbCrop})"/> takes).</summary>
    /// <exception cref="ArgumentException">A crop of the wrong size.</exception>
    public void CheckCrops(IReadOnlyList<RgbCrop> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        int cropBytes = CropBytes;
        foreach (var crop in crops)
        {
            if (crop.Height != Height || crop.Width != Width || crop.Pixels.Length != cropBytes)
                throw new ArgumentException($"Crop is {crop.Height}x{crop.Width}; the model takes {Height}x{Width} RGB.", nameof(crops));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    /// <summary>
    /// Whether ONNX Runtime's CUDA provider can be appended on this machine (its library and the CUDA / cuDNN libraries
    /// it needs load): null when it can, else the native error. Cheap (no model is loaded); used to fail start-up at
    /// once when <c>cuda</c> is required.
    /// </summary>
    public static string? ProbeCuda(int deviceId)
    {
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            return e.Message;
        }
    }

    // One session run of n crops into destination (n x D floats).
    private void Run(Memory<byte> pixels, int n, Span<float> destination)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels, [n, Height, Width, 3L]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, InputNames, [input], OutputNames);
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        if (shape.Length != 2 || shape[0] != n || shape[1] != Dimension)
            throw new InvalidOperationException($"Model output shape [{string.Join(",", shape)}], expected [{n},{Dimension}].");
        outputs[0].GetTensorDataAsSpan<float>().CopyTo(destination);
    }

    private static (InferenceSession, string, string?) CreateSession(string path, OnnxEmbedderOptions options, ILogger logger)
    {
        string provider = options.ExecutionProvider;
        if (provider is "cuda" or "auto")
        {
            try
            {
                using var cudaOptions = NewOptions(options.IntraOpThreads);
                // Throws when libonnxruntime_providers_cuda.so or the CUDA 13 / cuDNN libraries it needs cannot load.
                cudaOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                var session = new InferenceSession(path, cudaOptions);
                logger.LogInformation("ONNX Runtime: CUDA execution provider on device {Device}", options.CudaDeviceId);
                return (session, "CUDA", null);
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                if (provider == "cuda")
                {
                    throw new InvalidOperationException(
                        $"SanReid:Model:ExecutionProvider is 'cuda' but the CUDA provider could not load: {e.Message}", e);
                }

                logger.LogWarning("ONNX Runtime: CUDA execution provider unavailable, falling back to CPU: {Reason}", e.Message);
                return (CpuSession(path, options.IntraOpThreads), "CPU", $"CUDA unavailable, fell back to CPU: {e.Message}");
            }
        }

        logger.LogInformation("ONNX Runtime: CPU execution provider (configured)");
        return (CpuSession(path, options.IntraOpThreads), "CPU", null);
    }

    private static InferenceSession CpuSession(string path, int intraOpThreads)
    {
        using var options = NewOptions(intraOpThreads);
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: not a loadable ONNX model ({e.Message.ReplaceLineEndings(" ")}).", e);
        }
    }

    private static SessionOptions NewOptions(int intraOpThreads)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0)
            options.IntraOpNumThreads = intraOpThreads;
        return options;
    }

    // What makes the session's model break the contract, or null when it follows it.
    private static string? ContractProblem(InferenceSession session)
    {
        if (!session.InputMetadata.TryGetValue(EmbeddingContract.InputName, out var input) || session.InputMetadata.Count != 1)
        {
            return $"inputs are [{string.Join(", ", session.InputMetadata.Keys)}], expected only '{EmbeddingContract.InputName}'";
        }

        if (!session.OutputMetadata.TryGetValue(EmbeddingContract.OutputName, out var output))
        {
            return $"outputs are [{string.Join(", ", session.OutputMetadata.Keys)}], no '{EmbeddingContract.OutputName}'";
        }

        // H and W must be fixed in the graph: crops are resized to them before the run.
        bool inputFits = input.IsTensor && input.ElementDataType == TensorElementType.UInt8 && input.Dimensions.Length == 4 &&
                         input.Dimensions[1] > 0 && input.Dimensions[2] > 0 && input.Dimensions[3] == 3;
        if (!inputFits)
        {
            return $"input '{EmbeddingContract.InputName}' is {Describe(input)}";
        }

        bool outputFits = output.IsTensor && output.ElementDataType == TensorElementType.Float && output.Dimensions.Length == 2 &&
                          output.Dimensions[1] > 0;
        return outputFits ? null : $"output '{EmbeddingContract.OutputName}' is {Describe(output)}";
    }

    private static string Describe(NodeMetadata node) =>
        node.IsTensor
            ? $"{node.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(", ", node.Dimensions.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture)))}]"
            : $"a {node.OnnxValueType}";
}
