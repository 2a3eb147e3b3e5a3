using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;
using SanReid.Inference;
using SanReid.Trainer.Data;

namespace SanReid.Trainer.Export.Quantization;

/// <summary>What <see cref="ModelQuantization.Quantize"/> does.</summary>
public sealed record QuantizationOptions
{
    /// <summary>The fp32 model (the model contract, opset 13 or later).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Folder of calibration crops (<see cref="CalibrationCrops"/>).</summary>
    public required string CalibrationFolder { get; init; }

    /// <summary>The int8 model to write; <c>&lt;name&gt;.card.json</c> goes next to it.</summary>
    public required string OutputPath { get; init; }

    /// <summary>Range rule of the activations.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.Entropy;

    /// <summary>p of <see cref="CalibrationMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = ActivationCalibration.DefaultPercentile;

    /// <summary>Crops used to calibrate (at most; fewer when the folder is small).</summary>
    public int CalibrationCount { get; init; } = 256;

    /// <summary>Crops held out for the agreement check.</summary>
    public int HeldOutCount { get; init; } = 128;

    /// <summary>Folder of real Market-named crops for the Rank-1 / mAP check (all against all), or null to skip it.</summary>
    public string? RealCropsFolder { get; init; }

    /// <summary>Conv / Gemm nodes left in float (by node name, e.g. "conv1", "fc.0").</summary>
    public IReadOnlySet<string> FloatNodes { get; init; } = new HashSet<string>();

    /// <summary>Test seam: every calibrated range is multiplied by this (1 = as calibrated). A tiny factor makes a
    /// deliberately broken quantization (saturated activations) that the agreement check must refuse.</summary>
    internal double RangeScale { get; init; } = 1;

    /// <summary>Calibration folder as the card shows it (default: from <see cref="CalibrationFolder"/>).</summary>
    public string? CalibrationLabel { get; init; }
}

/// <summary>The outcome of a quantization that passed its checks.</summary>
/// <param name="Set">The calibration split.</param>
/// <param name="Card">The card's <c>quantization</c> object (figures, calibration set, comparability).</param>
public sealed record QuantizationReport(CalibrationSet Set, CardQuantization Card);

/// <summary>
/// <c>sanreid-train quantize</c>: static QDQ int8 quantization of an exported encoder, then the agreement check
/// against the fp32 model; only a model that passes is written. Steps: fold BatchNorm into the Conv/Gemm weights
/// (<see cref="BatchNormFolding"/>), plan the Q/DQ tensors (<see cref="QdqPlan"/>), calibrate their ranges on the
/// calibration crops (<see cref="ActivationCalibration"/>), rewrite (<see cref="QdqRewriter"/>), then embed the held-out
/// crops (and the real crops) with both models (<see cref="QuantizationAgreement"/>). The uint8 input, the
/// preprocessing and the L2 normalisation stay float, as in the source graph.
/// </summary>
public static class ModelQuantization
{
    /// <summary>Value of the card's <c>precision</c> for a quantized model.</summary>
    public const string Int8 = "int8";

    /// <summary>The card's <c>scheme</c> text.</summary>
    public const string Scheme =
        "static QDQ (QuantizeLinear/DequantizeLinear): weights int8 symmetric per output channel (Conv, Gemm; BatchNorm folded first), " +
        "biases int32 (scale s_x s_w), activations uint8 asymmetric per tensor (Conv and residual Add inputs and outputs, MaxPool, Gemm input); " +
        "uint8 input, preprocessing, GlobalAveragePool, neck ReLU and L2 normalisation float";

    /// <summary>Quantizes, checks and writes; see the class remarks.</summary>
    /// <param name="options">Paths and calibration settings.</param>
    /// <param name="log">Progress and figures.</param>
    /// <exception cref="FileNotFoundException">No model file.</exception>
    /// <exception cref="InvalidDataException">The model breaks the contract, is already int8, or has an opset below
    /// <see cref="QdqRewriter.MinOpset"/>.</exception>
    /// <exception cref="ReidDatasetException">Too few calibration crops, or one cannot be read (named).</exception>
    /// <exception cref="QuantizationAgreementException">The int8 model disagrees with fp32; nothing is written.</exception>
    /// <exception cref="IOException">The output is the input, or an existing folder.</exception>
    public static QuantizationReport Quantize(QuantizationOptions options, TextWriter log)
    {
        var modelPath = Path.GetFullPath(options.ModelPath);
        var outPath = Path.GetFullPath(options.OutputPath);
        if (string.Equals(modelPath, outPath, StringComparison.Ordinal))
        {
            throw new IOException($"--out '{outPath}' is the fp32 model itself; write the int8 model to another file.");
        }

        using var fp32 = new OnnxEmbedder(modelPath);
        if (fp32.Metadata.TryGetValue("precision", out var precision) && precision == Int8)
        {
            throw new InvalidDataException($"{modelPath} is already an int8 model (its card says precision {precision}); quantize the fp32 model.");
        }

        var source = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        long opset = source.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < QdqRewriter.MinOpset)
        {
            throw new InvalidDataException($"{modelPath} uses opset {opset}; per-channel QuantizeLinear/DequantizeLinear need opset {QdqRewriter.MinOpset} or later (re-export it).");
        }

        var set = CalibrationCrops.Split(options.CalibrationFolder, options.CalibrationCount, options.HeldOutCount);
        var reader = new CropReader(fp32.Height, fp32.Width);
        log.WriteLine($"calibration: {set.Calibration.Count} crops, {set.HeldOut.Count} held out, of {set.Available} in {set.Folder}; method {Name(options.Method)}" +
                      (options.Method == CalibrationMethod.Percentile ? string.Create(CultureInfo.InvariantCulture, $" {options.Percentile}") : ""));
        var calibrationCrops = set.Calibration.Select(p => reader.ReadImage(p).Pixels).ToList();

        var quantized = source.Clone();
        int folded = BatchNormFolding.Fold(quantized.Graph);
        var plan = QdqPlan.For(quantized.Graph, options.FloatNodes);
        var ranges = ActivationCalibration.Calibrate(quantized, plan.CalibratedTensors.ToList(), calibrationCrops, fp32.Height, fp32.Width,
            options.Method, options.Percentile);
        if (options.RangeScale != 1)
        {
            ranges = ranges.ToDictionary(r => r.Key, r => new ActivationRange((float)(r.Value.Min * options.RangeScale), (float)(r.Value.Max * options.RangeScale)));
        }

        QdqRewriter.Rewrite(quantized.Graph, plan, ranges);
        int convs = plan.WeightNodes.Count(n => quantized.Graph.Node.Any(x => x.Name == n && x.OpType == "Conv"));
        log.WriteLine($"quantized: {convs} Conv, {plan.WeightNodes.Count - convs} Gemm with int8 weights, {plan.Adds} Add, " +
                      $"{plan.Activations.Count} activation Q/DQ pairs, {plan.FusedRelu.Count} ReLU folded, {folded} BatchNorm folded");

        var temp = outPath + ".tmp";
        try
        {
            Save(quantized, temp);
            var (heldOut, real) = Agreement(fp32, temp, set, reader, options.RealCropsFolder, log);
            var failures = QuantizationAgreement.Failures(heldOut, real);
            if (failures.Count > 0)
            {
                throw new QuantizationAgreementException(
                    $"the int8 model does not agree with {Path.GetFileName(modelPath)}: {string.Join("; ", failures)}. {outPath} was not written " +
                    "(try more or more varied calibration crops, or another --method).");
            }

            bool comparable = QuantizationAgreement.Comparable(heldOut, real);
            var metadata = source.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
            var card = new CardQuantization
            {
                Scheme = Scheme,
                SourceModel = Path.GetFileName(modelPath),
                SourceFingerprint = ModelFingerprint.Compute(modelPath),
                SourceParityMaxAbsDiff = metadata.GetValueOrDefault("parity_max_abs_diff"),
                QuantizedConvs = convs,
                QuantizedGemms = plan.WeightNodes.Count - convs,
                QuantizedAdds = plan.Adds,
                FoldedBatchNorms = folded,
                Calibration = new CardCalibration(options.CalibrationLabel ?? Label(options.CalibrationFolder), set.Available, set.Calibration.Count,
                    set.HeldOut.Count, Name(options.Method), options.Method == CalibrationMethod.Percentile ? options.Percentile : null),
                HeldOutAgreement = heldOut,
                RealCrops = real,
                ComparableWithFp32 = comparable,
            };
            log.WriteLine(comparable
                ? "int8 and fp32 embeddings of these weights are comparable (cross-precision checks pass): they may share a gallery"
                : "int8 and fp32 embeddings of these weights are NOT comparable across precisions: the int8 model needs a gallery of its own");

            var name = Path.GetFileNameWithoutExtension(outPath);
            var createdAt = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            var cardJson = CardJson(modelPath, metadata, name, card, createdAt);
            if (comparable)
            {
                // Read by ModelFingerprint.EmbeddingSpace: the gallery then treats this model's embeddings as the source's.
                cardJson[ModelFingerprint.EmbeddingSpaceKey] = ModelFingerprint.EmbeddingSpace(modelPath, fp32.Metadata);
            }
            quantized.MetadataProps.Clear();
            foreach (var (key, value) in cardJson)
            {
                quantized.MetadataProps.Add(new StringStringEntryProto
                {
                    Key = key,
                    Value = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString(CardJsonOptions) ?? "",
                });
            }

            quantized.ProducerName = "sanreid-train";
            Save(quantized, temp);
            File.Move(temp, outPath, overwrite: true);
            var cardPath = ModelCard.PathFor(outPath);
            File.WriteAllText(cardPath, cardJson.ToJsonString(new JsonSerializerOptions(CardJsonOptions) { WriteIndented = true }));
            log.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length / 1e6:F1} MB; fp32 {new FileInfo(modelPath).Length / 1e6:F1} MB) and {cardPath}");
            return new QuantizationReport(set, card);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Embeds the held-out crops (and the real crops) with both models and compares.</summary>
    /// <param name="fp32">The fp32 model.</param>
    /// <param name="int8Path">The int8 model file.</param>
    /// <param name="set">The calibration split (its held-out crops are used).</param>
    /// <param name="reader">Crop reader at the model's input size.</param>
    /// <param name="realFolder">Real crops folder, or null.</param>
    /// <param name="log">Figures.</param>
    public static (HeldOutAgreement HeldOut, RealCropsAgreement? Real) Agreement(OnnxEmbedder fp32, string int8Path, CalibrationSet set,
        CropReader reader, string? realFolder, TextWriter log)
    {
        using var int8 = new OnnxEmbedder(int8Path);
        var heldOutCrops = set.HeldOut.Select(p => reader.ReadImage(p).Pixels).ToList();
        int d = fp32.Dimension;
        // Pids when every held-out name parses as a Market name with an identity (synth reid's do), else crop-level only.
        var names = set.HeldOut.Select(p => Market1501Name.TryParse(p, out var name) && name.Pid > 0 ? name.Pid : -1).ToArray();
        var pids = names.All(p => p > 0) ? names : null;
        var heldOut = QuantizationAgreement.HeldOut(Embed(fp32, heldOutCrops), Embed(int8, heldOutCrops), heldOutCrops.Count, d, pids);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out ({heldOut.Crops} crops): mean cosine(int8, fp32) {heldOut.MeanCosine:F4} (min {heldOut.MinCosine:F4}); top-1 agreement " +
            $"by person {(pids is null ? "n/a (no pids)" : $"{heldOut.IdentityTop1Agreement:P1}")}, by crop {heldOut.Top1Agreement:P1}; " +
            $"int8 query vs fp32 gallery by person {(pids is null ? "n/a" : $"{heldOut.CrossIdentityTop1Agreement:P1}")}, by crop {heldOut.CrossTop1Agreement:P1}"));

        RealCropsAgreement? real = null;
        if (realFolder is not null)
        {
            var crops = CropPool.List([realFolder]).Crops;
            var pixels = crops.Select(c => reader.ReadImage(c.Path).Pixels).ToList();
            real = QuantizationAgreement.Real(Label(realFolder), crops, Embed(fp32, pixels), Embed(int8, pixels), d);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"real crops {real.Folder} ({real.Crops} crops, {real.Queries} queries, all vs all): Rank-1 fp32 {real.Rank1Fp32:P1} int8 {real.Rank1Int8:P1} " +
                $"mixed {real.Rank1Mixed:P1}; mAP fp32 {real.MapFp32:P1} int8 {real.MapInt8:P1} mixed {real.MapMixed:P1}"));
        }

        return (heldOut, real);
    }

    /// <summary>"min-max", "percentile" or "entropy".</summary>
    public static string Name(CalibrationMethod method) => method switch
    {
        CalibrationMethod.MinMax => "min-max",
        CalibrationMethod.Percentile => "percentile",
        _ => "entropy",
    };

    private static readonly JsonSerializerOptions CardJsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    // The int8 card: the fp32 card (its JSON file, else its metadata_props) with the int8 facts on top.
    private static JsonObject CardJson(string modelPath, Dictionary<string, string> metadata, string name, CardQuantization card, string createdAt)
    {
        var cardPath = ModelCard.PathFor(modelPath);
        JsonObject json;
        if (File.Exists(cardPath) && JsonNode.Parse(File.ReadAllText(cardPath)) is JsonObject fromFile)
        {
            json = fromFile;
        }
        else
        {
            json = [];
            foreach (var (key, value) in metadata)
            {
                json[key] = value;
            }
        }

        json["name"] = name;
        json.Remove("parity_max_abs_diff"); // the fp32 export's figure; the int8 figures are under quantization
        json.Remove(ModelFingerprint.EmbeddingSpaceKey); // set again by the caller only when comparable
        json["precision"] = Int8;
        json["created_by"] = "sanreid-train quantize";
        json["created_at"] = createdAt;
        json["quantization"] = JsonSerializer.SerializeToNode(card, CardJsonOptions);
        return json;
    }

    private static float[] Embed(OnnxEmbedder embedder, IReadOnlyList<byte[]> crops, int batchSize = 16)
    {
        var result = new float[crops.Count * embedder.Dimension];
        for (int start = 0; start < crops.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, crops.Count - start);
            var buffer = new byte[n * embedder.CropBytes];
            for (int i = 0; i < n; i++)
            {
                crops[start + i].CopyTo(buffer, i * embedder.CropBytes);
            }

            embedder.Embed(buffer, n).CopyTo(result, start * embedder.Dimension);
        }

        return result;
    }

    // A folder as a card may show it: relative paths as given, absolute ones cut to their last two segments.
    private static string Label(string folder)
    {
        if (!Path.IsPathRooted(folder))
        {
            return folder;
        }

        var trimmed = Path.TrimEndingDirectorySeparator(folder);
        var parent = Path.GetFileName(Path.GetDirectoryName(trimmed) ?? "");
        return string.IsNullOrEmpty(parent) ? Path.GetFileName(trimmed) : $"{parent}/{Path.GetFileName(trimmed)}";
    }

    private static void Save(ModelProto model, string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = File.Create(path);
        model.WriteTo(stream);
    }
}
