using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SanReid.Imaging;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace SanReid.Api.Services;

/// <summary>
/// The one ONNX Runtime session of the process (InferenceSession.Run is thread-safe). Runs the DESIGN.md model
/// contract: input <c>images</c> uint8 [N, H, W, 3] RGB (H x W = 256 x 128 for SA-Enc), output <c>embeddings</c>
/// float32 [N, D], L2-normalised by the graph. D is read from the model's output metadata. Dispose releases the
/// native session; the DI container owns the singleton.
/// </summary>
public sealed class OnnxEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _maxBatchSize;

    /// <summary>Loads <paramref name="modelPath"/> with the requested execution provider.</summary>
    /// <param name="modelPath">Absolute path of the ONNX file.</param>
    /// <param name="executionProvider"><c>auto</c>: CUDA if it loads, else CPU (logged as a warning, <see cref="ProviderNote"/> says why);
    /// <c>cuda</c>: CUDA or an exception; <c>cpu</c>: CPU.</param>
    /// <param name="cudaDeviceId">CUDA device ordinal.</param>
    /// <param name="intraOpThreads">0 = ONNX Runtime default.</param>
    /// <param name="maxBatchSize">Most crops per Run.</param>
    /// <param name="logger">Receives the provider choice.</param>
    /// <exception cref="FileNotFoundException">No model file.</exception>
    /// <exception cref="InvalidOperationException">The model does not follow the contract, or <c>cuda</c> was required and failed.</exception>
    public OnnxEmbedder(string modelPath, string executionProvider, int cudaDeviceId, int intraOpThreads, int maxBatchSize, ILogger logger)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException(
                $"Model file not found: {modelPath}. Create the default one with scripts/ensure-model.sh or set SanReid:Model:Path.", modelPath);
        ModelPath = modelPath;
        _maxBatchSize = maxBatchSize;

        (_session, ExecutionProvider, ProviderNote) = CreateSession(modelPath, executionProvider, cudaDeviceId, intraOpThreads, logger);
        try
        {
            (_inputNames, _outputNames, Height, Width, Dimension) = CheckContract(_session, modelPath);
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        var meta = _session.ModelMetadata;
        Metadata = new Dictionary<string, string>(meta.CustomMetadataMap);
        ProducerName = meta.ProducerName;
        GraphName = meta.GraphName;
        Description = meta.Description;
        Version = meta.Version;
        logger.LogInformation("Model {Path}: input {Input} [N,{H},{W},3] uint8, output {Output} [N,{D}] float32, provider {Provider}",
            modelPath, _inputNames[0], Height, Width, _outputNames[0], Dimension, ExecutionProvider);
    }

    /// <summary>Absolute path of the loaded model.</summary>
    public string ModelPath { get; }

    /// <summary><c>CUDA</c> or <c>CPU</c>: the provider the session runs on.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA is not in use when <c>auto</c> was asked for (the native error), else null.</summary>
    public string? ProviderNote { get; }

    /// <summary>Input height H in pixels (256 for SA-Enc).</summary>
    public int Height { get; }

    /// <summary>Input width W in pixels (128 for SA-Enc).</summary>
    public int Width { get; }

    /// <summary>Embedding size D, from the output metadata.</summary>
    public int Dimension { get; }

    /// <summary>The model's custom metadata properties (backbone, input size, preprocessing, training data, scores).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>ONNX producer name.</summary>
    public string ProducerName { get; }

    /// <summary>ONNX graph name.</summary>
    public string GraphName { get; }

    /// <summary>ONNX doc string.</summary>
    public string Description { get; }

    /// <summary>ONNX model version.</summary>
    public long Version { get; }

    /// <summary>Name of the input (<c>images</c>).</summary>
    public string InputName => _inputNames[0];

    /// <summary>Name of the output (<c>embeddings</c>).</summary>
    public string OutputName => _outputNames[0];

    /// <summary>Options for <see cref="CropDecoder"/> that give this model's input size.</summary>
    public CropDecoderOptions DecoderOptions(long maxPixels, long maxBytes) =>
        new() { Height = Height, Width = Width, MaxPixels = maxPixels, MaxBytes = maxBytes };

    /// <summary>
    /// Embeds crops of exactly <see cref="Height"/> x <see cref="Width"/> RGB (as <see cref="CropDecoder.DecodeAndResize"/> gives),
    /// in runs of at most the configured batch size. Each result has length <see cref="Dimension"/>, unit L2 norm.
    /// An embedding does not depend on the rest of its batch (eval-mode graph).
    /// </summary>
    /// <exception cref="ArgumentException">A crop of the wrong size.</exception>
    /// <exception cref="InvalidOperationException">The model returned the wrong shape or non-finite values.</exception>
    public float[][] Embed(IReadOnlyList<RgbCrop> crops)
    {
        CheckCrops(crops);
        int cropBytes = Height * Width * 3;
        var result = new float[crops.Count][];
        for (int start = 0; start < crops.Count; start += _maxBatchSize)
        {
            int n = Math.Min(_maxBatchSize, crops.Count - start);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(n * cropBytes);
            try
            {
                for (int i = 0; i < n; i++)
                    crops[start + i].Pixels.CopyTo(buffer, i * cropBytes);
                using var input = OrtValue.CreateTensorValueFromMemory(
                    OrtMemoryInfo.DefaultInstance, new Memory<byte>(buffer, 0, n * cropBytes), [n, Height, Width, 3]);
                using var runOptions = new RunOptions();
                using var outputs = _session.Run(runOptions, _inputNames, [input], _outputNames);
                var shape = outputs[0].GetTensorTypeAndShape().Shape;
                if (shape.Length != 2 || shape[0] != n || shape[1] != Dimension)
                    throw new InvalidOperationException($"Model output shape [{string.Join(",", shape)}], expected [{n},{Dimension}].");
                var data = outputs[0].GetTensorDataAsSpan<float>();
                for (int i = 0; i < n; i++)
                {
                    var row = data.Slice(i * Dimension, Dimension).ToArray();
                    foreach (var v in row)
                    {
                        if (!float.IsFinite(v))
                            throw new InvalidOperationException("Model produced a non-finite embedding.");
                    }
                    result[start + i] = row;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return result;
    }

    /// <summary>Throws unless every crop is <see cref="Height"/> x <see cref="Width"/> RGB (what <see cref="Embed"/> takes).</summary>
    /// <exception cref="ArgumentException">A crop of the wrong size.</exception>
    public void CheckCrops(IReadOnlyList<RgbCrop> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        int cropBytes = Height * Width * 3;
        foreach (var crop in crops)
        {
            if (crop.Height != Height || crop.Width != Width || crop.Pixels.Length != cropBytes)
                throw new ArgumentException($"Crop is {crop.Height}x{crop.Width}; the model takes {Height}x{Width} RGB.", nameof(crops));
        }
    }

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

    private static (InferenceSession, string, string?) CreateSession(
        string path, string provider, int deviceId, int intraOpThreads, ILogger logger)
    {
        if (provider is "cuda" or "auto")
        {
            try
            {
                using var cudaOptions = NewOptions(intraOpThreads);
                // Throws when libonnxruntime_providers_cuda.so or the CUDA 13 / cuDNN libraries it needs cannot load.
                cudaOptions.AppendExecutionProvider_CUDA(deviceId);
                var session = new InferenceSession(path, cudaOptions);
                logger.LogInformation("ONNX Runtime: CUDA execution provider on device {Device}", deviceId);
                return (session, "CUDA", null);
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                if (provider == "cuda")
                    throw new InvalidOperationException(
                        $"SanReid:Model:ExecutionProvider is 'cuda' but the CUDA provider could not load: {e.Message}", e);
                logger.LogWarning("ONNX Runtime: CUDA execution provider unavailable, falling back to CPU: {Reason}", e.Message);
                var cpu = new InferenceSession(path, NewOptions(intraOpThreads));
                return (cpu, "CPU", $"CUDA unavailable, fell back to CPU: {e.Message}");
            }
        }
        logger.LogInformation("ONNX Runtime: CPU execution provider (configured)");
        return (new InferenceSession(path, NewOptions(intraOpThreads)), "CPU", null);
    }

    private static SessionOptions NewOptions(int intraOpThreads)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0)
            options.IntraOpNumThreads = intraOpThreads;
        return options;
    }

    private static (string[] Inputs, string[] Outputs, int H, int W, int D) CheckContract(InferenceSession session, string path)
    {
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count < 1)
            throw new InvalidOperationException($"{path}: expected one input and an output named 'embeddings'.");
        var (inputName, input) = session.InputMetadata.First();
        if (!session.OutputMetadata.TryGetValue("embeddings", out var output))
            throw new InvalidOperationException($"{path}: no output named 'embeddings' (has {string.Join(", ", session.OutputMetadata.Keys)}).");
        var dims = input.Dimensions;
        if (input.ElementDataType != TensorElementType.UInt8 || dims.Length != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] != 3)
            throw new InvalidOperationException(
                $"{path}: input '{inputName}' is {input.ElementDataType} [{string.Join(",", dims)}]; the contract is uint8 [N,H,W,3].");
        var outDims = output.Dimensions;
        if (output.ElementDataType != TensorElementType.Float || outDims.Length != 2 || outDims[1] <= 0)
            throw new InvalidOperationException(
                $"{path}: output 'embeddings' is {output.ElementDataType} [{string.Join(",", outDims)}]; the contract is float32 [N,D].");
        return ([inputName], ["embeddings"], dims[1], dims[2], outDims[1]);
    }
}
