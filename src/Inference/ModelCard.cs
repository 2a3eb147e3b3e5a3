using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanReid.Inference;

/// <summary>
/// Facts about an exported model, written both as the ONNX metadata_props (string values, keys below) and as
/// <c>&lt;name&gt;.card.json</c> next to the .onnx file. The Api's <c>GET /model</c> reports them.
/// </summary>
/// <remarks>
/// metadata_props keys: name, backbone, architecture, input_name, input_type, input_shape, input_size,
/// input_layout, embedding_size, output_name, preprocessing, normalization, training_data, training_identities,
/// training_images, training_input_size, recipe, scores, evaluation, trained_for_reid ("true"/"false"), flip_tta ("true"/"false"),
/// weights_source, neck_init, notice, opset, created_by, created_at, parity_max_abs_diff, precision (and quantization on int8 cards). training_identities,
/// training_images, recipe and evaluation are present only when known; numbers are written in decimal and
/// evaluation as its JSON object (<see cref="CardEvaluation"/>) in the metadata_props, where every value is a string.
/// </remarks>
public sealed record ModelCard
{
    /// <summary>File stem of the model.</summary>
    public required string Name { get; init; }

    /// <summary>"resnet18" or "resnet50".</summary>
    public required string Backbone { get; init; }

    /// <summary>One-line architecture description.</summary>
    public required string Architecture { get; init; }

    /// <summary>Graph input name ("images").</summary>
    public string InputName { get; init; } = EmbeddingContract.InputName;

    /// <summary>Input element type ("uint8").</summary>
    public string InputType { get; init; } = "uint8";

    /// <summary>Input height H in pixels (the graph's input shape; 256 unless exported at another training size).</summary>
    [JsonIgnore]
    public int InputHeight { get; init; } = EmbeddingContract.Height;

    /// <summary>Input width W in pixels (128 unless exported at another training size).</summary>
    [JsonIgnore]
    public int InputWidth { get; init; } = EmbeddingContract.Width;

    /// <summary>Input shape with the dynamic batch ("[N,256,128,3]"), from <see cref="InputHeight"/> and <see cref="InputWidth"/>.</summary>
    public string InputShape => $"[N,{InputHeight},{InputWidth},3]";

    /// <summary>Crop size, height x width in pixels ("256x128"): crops are resized to it before the graph.</summary>
    public string InputSize => $"{InputHeight}x{InputWidth}";

    /// <summary>Pixel layout ("NHWC RGB").</summary>
    public string InputLayout { get; init; } = "NHWC RGB";

    /// <summary>Embedding width D.</summary>
    public required int EmbeddingSize { get; init; }

    /// <summary>Graph output name ("embeddings").</summary>
    public string OutputName { get; init; } = EmbeddingContract.OutputName;

    /// <summary>What the graph does to the pixels before the network.</summary>
    public string Preprocessing => EmbeddingContract.PreprocessingFor(InputHeight, InputWidth);

    /// <summary>Normalisation of the output ("L2": each row has unit norm; cosine = dot product).</summary>
    public string Normalization { get; init; } = "L2 (rows have unit norm; cosine similarity = dot product)";

    /// <summary>
    /// True when the graph embeds each crop and its horizontal mirror and returns the L2-normalised mean of the two
    /// neck features (flip test-time augmentation inside the model, <c>export --flip</c>): the embedding of a crop then
    /// equals that of its mirror, and one crop costs two forward passes. False (default): one pass, the crop as given.
    /// Old cards without the key mean false.
    /// </summary>
    public bool FlipTta { get; init; }

    /// <summary>Data the weights were trained on.</summary>
    public required string TrainingData { get; init; }

    /// <summary>Identities in the training data (classifier width of the run), when known.</summary>
    public int? TrainingIdentities { get; init; }

    /// <summary>Images in the training data, when known.</summary>
    public int? TrainingImages { get; init; }

    /// <summary>Crop size the weights were trained at ("128x64"), from the run's config.json, or "unknown".</summary>
    public string TrainingInputSize { get; init; } = "unknown";

    /// <summary>How the weights were trained: config file and/or script (e.g. "configs/synth-r18.json via scripts/x.sh"), when known.</summary>
    public string? Recipe { get; init; }

    /// <summary>Re-ID scores (for example "Market-1501 Rank-1 ..., mAP ...") or "none".</summary>
    public required string Scores { get; init; }

    /// <summary>Structured scores on named data (from <c>eval --json</c> or <c>rank --json</c>), when given.</summary>
    public CardEvaluation? Evaluation { get; init; }

    /// <summary>False while the encoder has never been trained for re-ID.</summary>
    public required bool TrainedForReid { get; init; }

    /// <summary>
    /// Where the weights came from: a package id, version and file inside it, or a file name. Never an absolute path
    /// (the card is served by the Api; a build host's folders are nobody's business): see <see cref="PackagedResNet18Source"/>
    /// and <see cref="FileSource"/>.
    /// </summary>
    public required string WeightsSource { get; init; }

    /// <summary><see cref="WeightsSource"/> of the ImageNet ResNet-18 restored from NuGet.</summary>
    public const string PackagedResNet18Source = "NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1: ResNet18Onnx/ResNet18.onnx";

    /// <summary><see cref="WeightsSource"/> of a user's weights file: its file name only, with an optional note.</summary>
    /// <param name="path">Path of the weights file (only its last segment is kept).</param>
    /// <param name="note">Appended after a space, e.g. "(ImageNet backbone)".</param>
    public static string FileSource(string path, string? note = null) =>
        Path.GetFileName(path) + (string.IsNullOrEmpty(note) ? "" : " " + note);

    /// <summary>How the neck was initialised.</summary>
    public required string NeckInit { get; init; }

    /// <summary>Plain-language warning or note for users.</summary>
    public required string Notice { get; init; }

    /// <summary>ONNX opset.</summary>
    public int Opset { get; init; } = EmbeddingContract.Opset;

    /// <summary>Tool that wrote the file.</summary>
    public string CreatedBy { get; init; } = "sanreid-train export";

    /// <summary>UTC time of export, ISO 8601.</summary>
    public string CreatedAt { get; init; } = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Largest |TorchSharp - ONNX Runtime| over the export's parity batches, or "" before the check.</summary>
    public string ParityMaxAbsDiff { get; init; } = "";

    /// <summary>
    /// Numeric precision of the graph's weights and activations: "fp32" for an export; "int8" for a model written by
    /// <c>sanreid-train quantize</c>, whose card also holds a <c>quantization</c> object (scheme, calibration set,
    /// agreement with fp32, whether its embeddings may share a gallery with the fp32 model's).
    /// </summary>
    public string Precision { get; init; } = "fp32";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Facts that are not known are left out rather than written as null.
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Cards are read by people: keep '>' and '+' literal.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The card as snake_case key / string value pairs (the ONNX metadata_props).</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var element = JsonSerializer.SerializeToElement(this, JsonOptions);
        return element.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => JsonSerializer.Serialize(p.Value), // numbers as written, objects as compact JSON
            });
    }

    /// <summary>The card as indented JSON with snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Path of the card next to a model: <c>dir/name.onnx</c> -> <c>dir/name.card.json</c>.</summary>
    public static string PathFor(string onnxPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(onnxPath))!, Path.GetFileNameWithoutExtension(onnxPath) + ".card.json");
}
