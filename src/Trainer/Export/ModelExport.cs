using Google.Protobuf;
using Onnx;
using SanReid.Trainer.Inference;
using SanReid.Trainer.Model;

namespace SanReid.Trainer.Export;

/// <summary>Parity of one batch: TorchSharp (eval) vs ONNX Runtime on the exported file.</summary>
/// <param name="BatchSize">Crops in the batch.</param>
/// <param name="MaxAbsDiff">Largest absolute difference over all embedding values.</param>
public sealed record ParityResult(int BatchSize, float MaxAbsDiff);

/// <summary>
/// Export of an SA-Enc to the model contract, followed by the parity check TorchSharp (eval) vs ONNX Runtime (CPU)
/// on batches of 1, 2 and 7 crops, and the model card JSON next to the file.
/// </summary>
public static class ModelExport
{
    /// <summary>Largest allowed |TorchSharp - ONNX Runtime| on any embedding value.</summary>
    public const float ParityTolerance = 1e-4f;

    /// <summary>Batch sizes of the parity check.</summary>
    public static readonly int[] ParityBatches = [1, 2, 7];

    /// <summary>
    /// Writes <paramref name="onnxPath"/> and <c>&lt;name&gt;.card.json</c>, checks parity and records the largest
    /// difference in both. Parity crops are uniformly random pixels from a fixed seed.
    /// </summary>
    /// <param name="encoder">SA-Enc in eval mode.</param>
    /// <param name="card">Card facts (ParityMaxAbsDiff is filled in here).</param>
    /// <param name="onnxPath">Output .onnx path.</param>
    /// <param name="log">Where the parity figures are printed.</param>
    /// <returns>Per-batch parity.</returns>
    /// <exception cref="InvalidOperationException">The encoder is in training mode.</exception>
    /// <exception cref="ExportParityException">A batch differs by more than <see cref="ParityTolerance"/>; the file is deleted.</exception>
    public static IReadOnlyList<ParityResult> Export(SaEncoder encoder, ModelCard card, string onnxPath, TextWriter log)
    {
        var model = SaEncoderOnnxExporter.Build(encoder, card);
        Save(model, onnxPath);

        var results = new List<ParityResult>();
        var random = new Random(1501);
        using (var embedder = new OnnxEmbedder(onnxPath))
        {
            foreach (int batch in ParityBatches)
            {
                var crops = new byte[batch * EmbeddingContract.CropBytes];
                random.NextBytes(crops);
                var expected = TorchEmbedder.Embed(encoder, crops, batch);
                var actual = embedder.Embed(crops, batch);
                float diff = 0;
                for (int i = 0; i < expected.Length; i++)
                {
                    diff = Math.Max(diff, Math.Abs(expected[i] - actual[i]));
                }

                results.Add(new ParityResult(batch, diff));
                log.WriteLine($"parity batch {batch}: max |TorchSharp - ONNX Runtime| = {diff:E2} (tolerance {ParityTolerance:E0})");
            }
        }

        float worst = results.Max(r => r.MaxAbsDiff);
        if (worst > ParityTolerance)
        {
            File.Delete(onnxPath);
            throw new ExportParityException(
                $"Exported graph differs from TorchSharp by {worst:E2} (> {ParityTolerance:E0}); {onnxPath} was deleted.");
        }

        var final = card with { ParityMaxAbsDiff = worst.ToString("E2", System.Globalization.CultureInfo.InvariantCulture) };
        model.MetadataProps.Clear();
        foreach (var (key, value) in final.ToMetadata())
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        Save(model, onnxPath);
        File.WriteAllText(ModelCard.PathFor(onnxPath), final.ToJson());
        log.WriteLine($"wrote {onnxPath} and {ModelCard.PathFor(onnxPath)}");
        return results;
    }

    private static void Save(ModelProto model, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            model.WriteTo(stream);
        }

        File.Move(temp, path, overwrite: true);
    }
}
