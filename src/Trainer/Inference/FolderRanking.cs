using SanReid.Inference;
using SanReid.Trainer.Data;
using SanReid.Trainer.Evaluation;
using SanReid.Trainer.Export;

namespace SanReid.Trainer.Inference;

/// <summary>The outcome of ranking a gallery folder for every crop of a query folder.</summary>
/// <param name="Query">Query crops (path, pid, camera), in file-name order.</param>
/// <param name="Gallery">Gallery crops, in file-name order.</param>
/// <param name="Evaluation">Per-query rankings (junk removed) and Rank-k / mAP / mINP by the Market-1501 protocol.</param>
/// <param name="QueryEmbeddings">Query embeddings, row-major [query count, D], L2-normalised.</param>
/// <param name="GalleryEmbeddings">Gallery embeddings, row-major [gallery count, D], L2-normalised.</param>
/// <param name="Dimension">D.</param>
public sealed record FolderRankingResult(
    IReadOnlyList<ReidImage> Query,
    IReadOnlyList<ReidImage> Gallery,
    ReidEvaluationResult Evaluation,
    float[] QueryEmbeddings,
    float[] GalleryEmbeddings,
    int Dimension)
{
    /// <summary>Cosine similarity (dot product of unit vectors) of query row q and gallery row g.</summary>
    public float Score(int q, int g)
    {
        var a = QueryEmbeddings.AsSpan(q * Dimension, Dimension);
        var b = GalleryEmbeddings.AsSpan(g * Dimension, Dimension);
        float dot = 0;
        for (int i = 0; i < Dimension; i++)
        {
            dot += a[i] * b[i];
        }

        return dot;
    }
}

/// <summary>
/// Embeds folders of Market-1501-named crops with an exported model (SanReid.Imaging's CropDecoder, then ONNX Runtime)
/// and ranks the gallery for each query by exact cosine search, evaluated with <see cref="ReidEvaluator"/>.
/// </summary>
public static class FolderRanking
{
    /// <summary>Ranks <paramref name="galleryFolder"/> for every crop in <paramref name="queryFolder"/>.</summary>
    /// <param name="embedder">The model.</param>
    /// <param name="queryFolder">Folder of query crops named PPPP_cC... (Market-1501 style).</param>
    /// <param name="galleryFolder">Folder of gallery crops (pid -1 junk, 0000 distractors allowed).</param>
    /// <param name="top">Ranked gallery entries kept per query.</param>
    /// <param name="batchSize">Crops per ONNX Runtime call.</param>
    /// <exception cref="ReidDatasetException">A folder is missing or empty, or an image cannot be read (named).</exception>
    /// <exception cref="ReidFileNameException">A file name does not parse.</exception>
    /// <returns>The rankings. When no query has a true match in the gallery, every query is flagged skipped,
    /// <see cref="ReidEvaluationResult.EvaluatedQueries"/> is 0 and CMC, mAP and mINP are NaN (undefined).</returns>
    public static FolderRankingResult Rank(OnnxEmbedder embedder, string queryFolder, string galleryFolder, int top = 10, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var query = NonEmpty(MarketLayoutDataset.ListFolder(queryFolder), queryFolder);
        var gallery = NonEmpty(MarketLayoutDataset.ListFolder(galleryFolder), galleryFolder);
        var reader = new CropReader(embedder.Height, embedder.Width);
        var queryEmbeddings = Embed(embedder, reader, query, batchSize);
        var galleryEmbeddings = Embed(embedder, reader, gallery, batchSize);

        var options = new ReidEvaluationOptions { TopK = top, Metric = FeatureMetric.Cosine };
        ReidEvaluationResult evaluation;
        try
        {
            evaluation = ReidEvaluator.Evaluate(
                queryEmbeddings, query.Select(i => i.Pid).ToArray(), query.Select(i => i.CamId).ToArray(),
                galleryEmbeddings, gallery.Select(i => i.Pid).ToArray(), gallery.Select(i => i.CamId).ToArray(),
                embedder.Dimension, options);
        }
        catch (NoTrueMatchException e)
        {
            evaluation = Undefined(query.Count, gallery.Count, options, e.Queries);
        }

        return new FolderRankingResult(query, gallery, evaluation, queryEmbeddings, galleryEmbeddings, embedder.Dimension);
    }

    /// <summary>
    /// Ranks the crops of <paramref name="folders"/> as one set by the all-vs-all protocol
    /// (<see cref="AllVsAllEvaluation"/>): each crop whose pid appears in another camera queries all the others.
    /// </summary>
    /// <param name="embedder">The model.</param>
    /// <param name="folders">Dataset roots (their query/ and bounding_box_test/) or flat folders of Market-named crops.</param>
    /// <param name="top">Ranked entries kept per query.</param>
    /// <param name="batchSize">Crops per ONNX Runtime call.</param>
    /// <returns>The ranking (Query = the query crops, Gallery = all crops), the crop set, and the all-vs-all result.
    /// When no identity appears in two cameras, EvaluatedQueries is 0 and the metrics are NaN.</returns>
    /// <exception cref="ReidDatasetException">A folder is missing or holds no crops, or an image cannot be read (named).</exception>
    /// <exception cref="ReidFileNameException">A file name does not parse.</exception>
    public static (FolderRankingResult Ranking, CropSet Set) RankAllVsAll(OnnxEmbedder embedder, IEnumerable<string> folders, int top = 10, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var set = CropPool.List(folders);
        var reader = new CropReader(embedder.Height, embedder.Width);
        var embeddings = Embed(embedder, reader, set.Crops, batchSize);
        var options = new ReidEvaluationOptions { TopK = top, Metric = FeatureMetric.Cosine };
        int d = embedder.Dimension;
        int[] rows;
        ReidEvaluationResult evaluation;
        try
        {
            var result = AllVsAllEvaluation.Evaluate(set.Crops, embeddings, d, options);
            rows = result.QueryRows;
            evaluation = result.Evaluation;
        }
        catch (NoTrueMatchException e)
        {
            rows = Enumerable.Range(0, set.Crops.Count).Where(i => set.Crops[i].Pid > 0).ToArray();
            evaluation = Undefined(rows.Length, set.Crops.Count, options, e.Queries);
        }

        var queryEmbeddings = new float[rows.Length * d];
        for (int q = 0; q < rows.Length; q++)
        {
            Array.Copy(embeddings, rows[q] * d, queryEmbeddings, q * d, d);
        }

        var ranking = new FolderRankingResult(rows.Select(r => set.Crops[r]).ToArray(), set.Crops, evaluation, queryEmbeddings, embeddings, d);
        return (ranking, set);
    }

    private static ReidEvaluationResult Undefined(int queries, int gallery, ReidEvaluationOptions options, IReadOnlyList<QueryRanking> rankings) => new()
    {
        NumQueries = queries,
        NumGallery = gallery,
        EvaluatedQueries = 0,
        SkippedQueries = queries,
        Cmc = Enumerable.Repeat(double.NaN, options.MaxRank).ToArray(),
        MeanAveragePrecision = double.NaN,
        MeanInverseNegativePenalty = double.NaN,
        Queries = rankings,
    };

    private static IReadOnlyList<ReidImage> NonEmpty(IReadOnlyList<ReidImage> images, string folder) =>
        images.Count > 0 ? images : throw new ReidDatasetException($"Folder '{folder}' holds no image crops.");

    private static float[] Embed(OnnxEmbedder embedder, CropReader reader, IReadOnlyList<ReidImage> images, int batchSize)
    {
        var embeddings = new float[images.Count * embedder.Dimension];
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            var crops = new byte[count * embedder.CropBytes];
            for (int i = 0; i < count; i++)
            {
                var crop = reader.ReadImage(images[start + i].Path);
                crop.Pixels.CopyTo(crops, i * embedder.CropBytes);
            }

            embedder.Embed(crops, count).CopyTo(embeddings, start * embedder.Dimension);
        }

        return embeddings;
    }
}
