using Google.Protobuf;
using Onnx;
using SanReid.Inference;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Model;

namespace SanReid.Trainer.Export;

/// <summary>Parity of one batch: TorchSharp (eval) vs ONNX Runtime on the exported file.</summary>
/// <param name="BatchSize">Crops in the batch.</param>
/// <param name="MaxAbsDiff">Largest absolute difference over all embedding values.</param>
public sealed record ParityResult(int BatchSize, float MaxAbsDiff);

/// <summary>
/// Export of an SA-Enc to the model contract at the card's input size, followed by the parity check TorchSharp (eval)
/// vs ONNX Runtime (CPU) on batches of 1, 2 and 7 crops of that size, and the model card JSON next to the file. A card
/// with <see cref="ModelCard.FlipTta"/> exports the flip-averaging graph, checked against TorchSharp's flip average and
/// for symmetry (the embedding of each parity crop's mirror equals the crop's within the parity tolerance).
/// </summary>
public static class ModelExport
{
    /// <summary>Largest allowed |TorchSharp - ONNX Runtime| on any embedding value.</summary>
    public const float ParityTolerance = 1e-4f;

    /// <summary>Batch sizes of the parity check.</summary>
    public static readonly int[] ParityBatches = [1, 2, 7];

    /// <summary>Largest allowed | |embedding| - 1 | of an ONNX Runtime embedding on the parity crops.</summary>
    public const float UnitNormTolerance = 1e-3f;

    /// <summary>
    /// Writes <paramref name="onnxPath"/> and <c>&lt;name&gt;.card.json</c>, checks parity and records the largest
    /// difference in both. Parity crops are uniformly random pixels from a fixed seed. The model is written to
    /// <c>&lt;onnxPath&gt;.tmp</c> and checked there; only a model that passes every check replaces
    /// <paramref name="onnxPath"/>, and the temporary file is removed whatever happens.
    /// </summary>
    /// <param name="encoder">SA-Enc in eval mode.</param>
    /// <param name="card">Card facts (ParityMaxAbsDiff is filled in here).</param>
    /// <param name="onnxPath">Output .onnx path.</param>
    /// <param name="log">Where the parity figures are printed.</param>
    /// <returns>Per-batch parity.</returns>
    /// <exception cref="InvalidOperationException">The encoder is in training mode.</exception>
    /// <exception cref="IOException"><paramref name="onnxPath"/> or its card path is an existing folder, or cannot be written.</exception>
    /// <exception cref="ExportParityException">A batch differs by more than <see cref="ParityTolerance"/> (or by NaN), or
    /// an ONNX Runtime embedding is not finite or not of unit length (±<see cref="UnitNormTolerance"/>), e.g. weights
    /// that give an all-zero feature; no model file is written.</exception>
    public static IReadOnlyList<ParityResult> Export(SaEncoder encoder, ModelCard card, string onnxPath, TextWriter log)
    {
        var cardPath = ModelCard.PathFor(onnxPath);
        foreach (var path in new[] { onnxPath, cardPath })
        {
            if (Directory.Exists(path))
            {
                throw new IOException($"Output '{Path.GetFullPath(path)}' is an existing folder; give a file path for the model.");
            }
        }

        var model = SaEncoderOnnxExporter.Build(encoder, card);
        var temp = onnxPath + ".tmp";
        try
        {
            Save(model, temp);
            var results = Check(encoder, temp, onnxPath, card.InputHeight, card.InputWidth, card.FlipTta, log);
            float worst = results.Select(r => r.MaxAbsDiff).Aggregate(Math.Max);
            var final = card with { ParityMaxAbsDiff = worst.ToString("E2", System.Globalization.CultureInfo.InvariantCulture) };
            model.MetadataProps.Clear();
            foreach (var (key, value) in final.ToMetadata())
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
            }

            Save(model, temp);
            File.Move(temp, onnxPath, overwrite: true);
            File.WriteAllText(cardPath, final.ToJson());
            log.WriteLine($"wrote {onnxPath} and {cardPath}");
            return results;
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    // Parity TorchSharp vs ONNX Runtime on the file at modelPath (flip: TorchSharp's flip average), finite unit-length
    // ONNX Runtime embeddings, and with flip, mirror symmetry of the exported graph.
    private static List<ParityResult> Check(SaEncoder encoder, string modelPath, string onnxPath, int height, int width, bool flip, TextWriter log)
    {
        var results = new List<ParityResult>();
        var outputs = new List<(int Batch, float[] Embeddings)>();
        var random = new Random(1501);
        using var embedder = new OnnxEmbedder(modelPath);
        foreach (int batch in ParityBatches)
        {
            var crops = new byte[batch * height * width * 3];
            random.NextBytes(crops);
            var expected = TorchEmbedder.Embed(encoder, crops, batch, height, width, flip);
            var actual = embedder.Embed(crops, batch);
            float diff = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                diff = Math.Max(diff, Math.Abs(expected[i] - actual[i])); // Math.Max keeps a NaN
            }

            results.Add(new ParityResult(batch, diff));
            outputs.Add((batch, actual));
            log.WriteLine($"parity batch {batch} ({height}x{width}{(flip ? ", flip TTA" : "")}): max |TorchSharp - ONNX Runtime| = {diff:E2} (tolerance {ParityTolerance:E0})");
            if (flip)
            {
                var mirrored = embedder.Embed(Mirrored(crops, batch, height, width), batch);
                float asymmetry = 0;
                for (int i = 0; i < actual.Length; i++)
                {
                    asymmetry = Math.Max(asymmetry, Math.Abs(mirrored[i] - actual[i]));
                }

                log.WriteLine($"flip symmetry batch {batch}: max |ONNX(crop) - ONNX(mirror)| = {asymmetry:E2} (tolerance {ParityTolerance:E0})");
                if (!(asymmetry <= ParityTolerance))
                {
                    throw new ExportParityException(
                        $"The flip-averaged graph embeds a crop and its mirror {asymmetry:E2} apart (tolerance {ParityTolerance:E0}); {onnxPath} was not written.");
                }
            }
        }

        // Not Enumerable.Max, which skips NaN; and !(x <= tol), because NaN > tol is false too.
        float worst = results.Select(r => r.MaxAbsDiff).Aggregate(Math.Max);
        if (!(worst <= ParityTolerance))
        {
            throw new ExportParityException(
                $"Exported graph differs from TorchSharp by {worst:E2} (tolerance {ParityTolerance:E0}); {onnxPath} was not written.");
        }

        foreach (var (batch, actual) in outputs)
        {
            CheckUnitLength(actual, batch, onnxPath);
        }

        return results;
    }

    /// <summary>The crops (NHWC bytes) mirrored left to right.</summary>
    internal static byte[] Mirrored(byte[] crops, int count, int height, int width)
    {
        var result = new byte[crops.Length];
        for (int row = 0; row < count * height; row++)
        {
            for (int x = 0; x < width; x++)
            {
                Array.Copy(crops, ((row * width) + x) * 3, result, ((row * width) + width - 1 - x) * 3, 3);
            }
        }

        return result;
    }

    private static void CheckUnitLength(float[] embeddings, int batch, string onnxPath)
    {
        int dimension = embeddings.Length / batch;
        for (int row = 0; row < batch; row++)
        {
            double squares = 0;
            bool finite = true;
            for (int i = row * dimension; i < (row + 1) * dimension; i++)
            {
                finite &= float.IsFinite(embeddings[i]);
                squares += (double)embeddings[i] * embeddings[i];
            }

            double norm = Math.Sqrt(squares);
            if (!finite || !(Math.Abs(norm - 1) <= UnitNormTolerance))
            {
                string what = finite ? $"has norm {norm:F4}" : "holds non-finite values";
                throw new ExportParityException(
                    $"The exported model's embedding of parity crop {row} (batch {batch}) {what}; every embedding must be finite and of unit length " +
                    $"(±{UnitNormTolerance:G}). The weights give a degenerate feature (e.g. an all-zero neck output); {onnxPath} was not written.");
            }
        }
    }

    private static void Save(ModelProto model, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = File.Create(path);
        model.WriteTo(stream);
    }
}
