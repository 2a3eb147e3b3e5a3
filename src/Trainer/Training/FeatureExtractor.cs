using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Model;
using static TorchSharp.torch;

namespace SanReid.Trainer.Training;

/// <summary>
/// SA-Enc features for evaluation: the 512-d neck output in eval mode (BatchNorm running statistics, so a feature
/// never depends on the rest of its batch), optionally averaged with the feature of the mirrored crop (flip test-time
/// augmentation). Scores are cosine similarities (the evaluator L2-normalises), as the exported model serves them.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>Features of the files, row-major [N, 512].</summary>
    /// <param name="encoder">The SA-Enc; switched to eval mode.</param>
    /// <param name="paths">Image files.</param>
    /// <param name="reader">Reader at the encoder's input size.</param>
    /// <param name="flip">Average with the mirrored crop's feature.</param>
    /// <param name="device">Device of the encoder.</param>
    /// <param name="batchSize">Crops per forward pass.</param>
    /// <exception cref="ReidDatasetException">A file is unreadable (named).</exception>
    public static float[] Extract(SaEncoder encoder, IReadOnlyList<string> paths, CropReader reader, bool flip, Device device, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(paths);
        encoder.eval();
        var builder = new ReidBatchBuilder(reader);
        var result = new float[paths.Count * SaEncoder.EmbeddingSize];
        using var noGrad = no_grad();
        for (var start = 0; start < paths.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = paths.Skip(start).Take(batchSize).ToArray();
            var images = builder.BuildEval(chunk, false, device);
            var feature = encoder.call(images);
            if (flip)
            {
                // Mirroring the normalised tensor equals normalising the mirrored crop: decode each file once.
                feature = feature + encoder.call(images.flip(3));
            }

            feature.cpu().contiguous().data<float>().CopyTo(result, start * SaEncoder.EmbeddingSize);
        }

        return result;
    }

    /// <summary>Extracts query and gallery features and evaluates them by the Market-1501 protocol (cosine; k-reciprocal re-ranked when <paramref name="options"/> asks).</summary>
    /// <exception cref="InvalidOperationException">No query has a true match.</exception>
    public static ReidEvaluationResult Evaluate(SaEncoder encoder, IReadOnlyList<ReidImage> query, IReadOnlyList<ReidImage> gallery, CropReader reader, bool flip, Device device, int batchSize = 64, ReidEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(gallery);
        var q = Extract(encoder, query.Select(i => i.Path).ToArray(), reader, flip, device, batchSize);
        var g = Extract(encoder, gallery.Select(i => i.Path).ToArray(), reader, flip, device, batchSize);
        return ReidEvaluator.Evaluate(
            q, query.Select(i => i.Pid).ToArray(), query.Select(i => i.CamId).ToArray(),
            g, gallery.Select(i => i.Pid).ToArray(), gallery.Select(i => i.CamId).ToArray(),
            SaEncoder.EmbeddingSize,
            options);
    }

    /// <summary>The headline numbers of an evaluation: rank1, rank5, rank10, mAP, mINP (fractions in [0, 1]) and skipped (queries).</summary>
    public static Dictionary<string, double> Summary(ReidEvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new Dictionary<string, double>
        {
            ["rank1"] = result.Rank1,
            ["rank5"] = result.Rank5,
            ["rank10"] = result.Rank10,
            ["mAP"] = result.MeanAveragePrecision,
            ["mINP"] = result.MeanInverseNegativePenalty,
            ["skipped"] = result.SkippedQueries,
        };
    }
}
