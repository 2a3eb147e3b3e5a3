using SanReid.Inference.Ranking;

namespace SanReid.Trainer.Evaluation;

/// <summary>
/// Re-ID evaluation by the Market-1501 protocol (Zheng et al., ICCV 2015, and its evaluation code; DESIGN.md
/// "Evaluation protocol"): CMC, mAP and mINP. Pure managed code over float arrays, shared by the ONNX-based
/// <c>rank</c> command and the TorchSharp trainer.
/// </summary>
/// <remarks>
/// <para>Per query, a gallery item is</para>
/// <list type="bullet">
/// <item>junk, and removed from the ranking, when its pid is -1, or when it has the query's pid and the query's camera;</item>
/// <item>a true match when it has the query's pid and another camera;</item>
/// <item>a negative otherwise (pid 0 distractors included).</item>
/// </list>
/// <para>A query without a true match is skipped: it gets no CMC/AP/INP and is counted in
/// <see cref="ReidEvaluationResult.SkippedQueries"/>. Metrics average over the remaining queries:
/// AP = (1/M) sum_i i / r_i over the M true matches at 1-based ranks r_1 &lt; ... &lt; r_M; INP = M / r_M.
/// CMC(k) counts a query when r_1 &lt;= k; for k beyond the number of valid gallery items it is therefore 1 for
/// every evaluated query (the curve is not truncated).</para>
/// <para>Ties: items with equal scores are ranked by ascending gallery index (a stable sort by gallery index), so
/// results are deterministic and independent of thread count.</para>
/// <para>Scores from features are computed QueryChunkSize queries at a time, so memory stays bounded
/// (11,659 x 82,161 for MSMT17 never exists as a whole matrix). With <see cref="ReidEvaluationOptions.Rerank"/> the
/// scores are k-reciprocal re-ranked distances (<see cref="KReciprocalReranking"/>), also produced chunk by chunk.</para>
/// </remarks>
public static class ReidEvaluator
{
    /// <summary>Scores queries against the gallery from features and evaluates the ranking.</summary>
    /// <param name="queryFeatures">Query features, row-major [numQuery, dimension].</param>
    /// <param name="queryPids">Query person ids, length numQuery.</param>
    /// <param name="queryCamIds">Query camera ids, length numQuery.</param>
    /// <param name="galleryFeatures">Gallery features, row-major [numGallery, dimension].</param>
    /// <param name="galleryPids">Gallery person ids, length numGallery (-1 = junk, 0 = distractor).</param>
    /// <param name="galleryCamIds">Gallery camera ids, length numGallery.</param>
    /// <param name="dimension">Feature length D &gt; 0.</param>
    /// <param name="options">Metric, CMC length, ranked-list length, chunk size; null = defaults.</param>
    /// <exception cref="ArgumentException">Lengths disagree, no query or gallery item, bad option, or a non-finite feature (the message names the row).</exception>
    /// <exception cref="NoTrueMatchException">No query has a true match, so CMC and mAP are undefined (an
    /// <see cref="InvalidOperationException"/> that carries the skipped rankings).</exception>
    public static ReidEvaluationResult Evaluate(
        float[] queryFeatures,
        int[] queryPids,
        int[] queryCamIds,
        float[] galleryFeatures,
        int[] galleryPids,
        int[] galleryCamIds,
        int dimension,
        ReidEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(queryFeatures);
        ArgumentNullException.ThrowIfNull(galleryFeatures);
        options ??= new ReidEvaluationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var numQuery = ValidateLabels(queryPids, queryCamIds, "query");
        var numGallery = ValidateLabels(galleryPids, galleryCamIds, "gallery");
        ValidateOptions(options);
        if (queryFeatures.Length != (long)numQuery * dimension)
        {
            throw new ArgumentException($"Query features hold {queryFeatures.Length} floats; expected {numQuery} x {dimension}.", nameof(queryFeatures));
        }

        if (galleryFeatures.Length != (long)numGallery * dimension)
        {
            throw new ArgumentException($"Gallery features hold {galleryFeatures.Length} floats; expected {numGallery} x {dimension}.", nameof(galleryFeatures));
        }

        CheckFinite(queryFeatures, dimension, "query");
        CheckFinite(galleryFeatures, dimension, "gallery");

        var cosine = options.Metric == FeatureMetric.Cosine;
        var q = cosine ? FeatureMath.L2Normalised(queryFeatures, dimension) : queryFeatures;
        var g = cosine ? FeatureMath.L2Normalised(galleryFeatures, dimension) : galleryFeatures;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        var chunk = Math.Min(options.QueryChunkSize, numQuery);
        var buffer = new float[(long)chunk * numGallery];
        var evaluation = new Accumulator(numQuery, numGallery, options);
        if (options.Rerank is { } rerank)
        {
            // k-reciprocal distances on the same features (unit-length for cosine: squared Euclidean = 2 - 2 cos).
            var reranking = KReciprocalReranking.Build(q, g, dimension, rerank with { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism });
            for (var start = 0; start < numQuery; start += chunk)
            {
                var count = Math.Min(chunk, numQuery - start);
                var chunkStart = start;
                reranking.QueryDistances(start, count, buffer);
                ParallelFor(count, parallel, i =>
                    evaluation.EvaluateQuery(chunkStart + i, buffer.AsSpan(i * numGallery, numGallery), ScoreKind.Distance, queryPids, queryCamIds, galleryPids, galleryCamIds));
            }

            return evaluation.Result() with { RerankNonZeros = reranking.NonZeros };
        }

        var gallerySquaredNorms = cosine ? null : FeatureMath.SquaredNorms(g, dimension);
        var querySquaredNorms = cosine ? null : FeatureMath.SquaredNorms(q, dimension);
        var kind = cosine ? ScoreKind.Similarity : ScoreKind.Distance;
        for (var start = 0; start < numQuery; start += chunk)
        {
            var count = Math.Min(chunk, numQuery - start);
            var chunkStart = start;
            FeatureMath.Block(q, start, count, querySquaredNorms, g, numGallery, gallerySquaredNorms, dimension, buffer, 0, numGallery, parallel);
            ParallelFor(count, parallel, i =>
                evaluation.EvaluateQuery(chunkStart + i, buffer.AsSpan(i * numGallery, numGallery), kind, queryPids, queryCamIds, galleryPids, galleryCamIds));
        }

        return evaluation.Result();
    }

    /// <summary>Evaluates a precomputed score matrix (distance or similarity).</summary>
    /// <param name="scores">Row-major [numQuery, numGallery] scores; no NaN.</param>
    /// <param name="kind">Whether smaller (distance) or larger (similarity) is better.</param>
    /// <param name="queryPids">Query person ids, length numQuery.</param>
    /// <param name="queryCamIds">Query camera ids, length numQuery.</param>
    /// <param name="galleryPids">Gallery person ids, length numGallery (-1 = junk, 0 = distractor).</param>
    /// <param name="galleryCamIds">Gallery camera ids, length numGallery.</param>
    /// <param name="options">CMC length and ranked-list length; null = defaults (Metric and QueryChunkSize are unused).</param>
    /// <exception cref="ArgumentException">Lengths disagree, no query or gallery item, bad option, or a NaN score (the message names query and gallery rows).</exception>
    /// <exception cref="NoTrueMatchException">No query has a true match, so CMC and mAP are undefined (an
    /// <see cref="InvalidOperationException"/> that carries the skipped rankings).</exception>
    public static ReidEvaluationResult EvaluateScores(
        float[] scores,
        ScoreKind kind,
        int[] queryPids,
        int[] queryCamIds,
        int[] galleryPids,
        int[] galleryCamIds,
        ReidEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        options ??= new ReidEvaluationOptions();
        var numQuery = ValidateLabels(queryPids, queryCamIds, "query");
        var numGallery = ValidateLabels(galleryPids, galleryCamIds, "gallery");
        ValidateOptions(options);
        if (scores.Length != (long)numQuery * numGallery)
        {
            throw new ArgumentException($"Scores hold {scores.Length} floats; expected {numQuery} x {numGallery}.", nameof(scores));
        }

        var evaluation = new Accumulator(numQuery, numGallery, options);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        ParallelFor(numQuery, parallel, qi =>
            evaluation.EvaluateQuery(qi, scores.AsSpan(qi * numGallery, numGallery), kind, queryPids, queryCamIds, galleryPids, galleryCamIds));
        return evaluation.Result();
    }

    /// <summary>Parallel.For that rethrows the body's own exception (the first one) instead of an AggregateException.</summary>
    private static void ParallelFor(int count, ParallelOptions parallel, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, parallel, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static int ValidateLabels(int[] pids, int[] camIds, string split)
    {
        ArgumentNullException.ThrowIfNull(pids);
        ArgumentNullException.ThrowIfNull(camIds);
        if (pids.Length != camIds.Length)
        {
            throw new ArgumentException($"The {split} has {pids.Length} pids but {camIds.Length} camera ids.");
        }

        if (pids.Length == 0)
        {
            throw new ArgumentException($"The {split} is empty.");
        }

        return pids.Length;
    }

    private static void ValidateOptions(ReidEvaluationOptions options)
    {
        if (options.MaxRank < 10)
        {
            throw new ArgumentException($"MaxRank must be at least 10 (rank-10 is reported); got {options.MaxRank}.", nameof(options));
        }

        if (options.TopK < 0)
        {
            throw new ArgumentException($"TopK must be non-negative; got {options.TopK}.", nameof(options));
        }

        if (options.QueryChunkSize < 1)
        {
            throw new ArgumentException($"QueryChunkSize must be positive; got {options.QueryChunkSize}.", nameof(options));
        }
    }

    private static void CheckFinite(float[] features, int dimension, string split)
    {
        for (var i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException($"The {split} feature of row {i / dimension} holds a non-finite value ({features[i]}) at column {i % dimension}.");
            }
        }
    }

    /// <summary>Per-query evaluation and the running totals; EvaluateQuery is safe to call from several threads for distinct queries.</summary>
    private sealed class Accumulator(int numQuery, int numGallery, ReidEvaluationOptions options)
    {
        private readonly QueryRanking[] rankings = new QueryRanking[numQuery];

        public void EvaluateQuery(int qi, ReadOnlySpan<float> row, ScoreKind kind, int[] queryPids, int[] queryCamIds, int[] galleryPids, int[] galleryCamIds)
        {
            var higherIsBetter = kind == ScoreKind.Similarity;
            var qPid = queryPids[qi];
            var qCam = queryCamIds[qi];

            // Pass 1: classify every gallery item; collect true matches and the top-k valid items.
            var matches = new List<int>();
            var topK = options.TopK;
            var top = new int[topK];
            var topCount = 0;
            var valid = 0;
            for (var j = 0; j < row.Length; j++)
            {
                if (float.IsNaN(row[j]))
                {
                    throw new ArgumentException($"Score of query {qi} against gallery item {j} is NaN.");
                }

                var gPid = galleryPids[j];
                if (gPid == -1 || (gPid == qPid && galleryCamIds[j] == qCam))
                {
                    continue; // junk
                }

                valid++;
                if (gPid == qPid)
                {
                    matches.Add(j);
                }

                if (topK > 0 && (topCount < topK || Better(row, j, top[topCount - 1], higherIsBetter)))
                {
                    // Insertion into the small sorted list; j is larger than every index already there, so equal
                    // scores keep ascending index order.
                    var pos = Math.Min(topCount, topK - 1);
                    while (pos > 0 && Better(row, j, top[pos - 1], higherIsBetter))
                    {
                        top[pos] = top[pos - 1];
                        pos--;
                    }

                    top[pos] = j;
                    topCount = Math.Min(topCount + 1, topK);
                }
            }

            var topIndices = top[..topCount];
            var topIsMatch = topIndices.Select(j => galleryPids[j] == qPid).ToArray();
            if (matches.Count == 0)
            {
                rankings[qi] = new QueryRanking(qi, true, 0, valid, 0, 0, 0, topIndices, topIsMatch);
                return;
            }

            // Pass 2: the rank of each true match = matches ranked before it + negatives ranked before it.
            // Sort matches in rank order; for each valid negative, count how many matches precede it (k by binary
            // search): it then precedes matches k, k+1, ... .
            var keyed = new (float Score, int Index)[matches.Count];
            for (var i = 0; i < keyed.Length; i++)
            {
                keyed[i] = (row[matches[i]], matches[i]);
            }

            Array.Sort(keyed, (a, b) =>
                a.Score == b.Score ? a.Index.CompareTo(b.Index)
                : higherIsBetter ? b.Score.CompareTo(a.Score) : a.Score.CompareTo(b.Score));
            var m = Array.ConvertAll(keyed, k => k.Index);
            var negativesBefore = new long[m.Length + 1];
            for (var j = 0; j < row.Length; j++)
            {
                var gPid = galleryPids[j];
                if (gPid == -1 || gPid == qPid)
                {
                    continue; // junk or a true match (same pid same camera is junk as well)
                }

                int lo = 0, hi = m.Length;
                while (lo < hi)
                {
                    var mid = (lo + hi) >>> 1;
                    if (Better(row, m[mid], j, higherIsBetter))
                    {
                        lo = mid + 1;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                negativesBefore[lo]++;
            }

            double precisionSum = 0;
            long negatives = 0;
            long firstRank = 0, lastRank = 0;
            for (var i = 0; i < m.Length; i++)
            {
                negatives += negativesBefore[i];
                var rank = i + negatives + 1; // 1-based
                precisionSum += (i + 1) / (double)rank;
                if (i == 0)
                {
                    firstRank = rank;
                }

                lastRank = rank;
            }

            rankings[qi] = new QueryRanking(
                qi,
                false,
                m.Length,
                valid,
                (int)firstRank,
                precisionSum / m.Length,
                m.Length / (double)lastRank,
                topIndices,
                topIsMatch);
        }

        public ReidEvaluationResult Result()
        {
            var cmc = new double[options.MaxRank];
            double apSum = 0, inpSum = 0;
            var evaluated = 0;
            foreach (var r in rankings)
            {
                if (r.Skipped)
                {
                    continue;
                }

                evaluated++;
                apSum += r.AveragePrecision;
                inpSum += r.InverseNegativePenalty;
                for (var k = r.FirstMatchRank - 1; k < cmc.Length; k++)
                {
                    cmc[k] += 1;
                }
            }

            if (evaluated == 0)
            {
                throw new NoTrueMatchException(
                    $"No query has a true match in the gallery (all {numQuery} queries skipped; {numGallery} gallery items); CMC and mAP are undefined.",
                    rankings);
            }

            for (var k = 0; k < cmc.Length; k++)
            {
                cmc[k] /= evaluated;
            }

            return new ReidEvaluationResult
            {
                NumQueries = numQuery,
                NumGallery = numGallery,
                EvaluatedQueries = evaluated,
                SkippedQueries = numQuery - evaluated,
                Cmc = cmc,
                MeanAveragePrecision = apSum / evaluated,
                MeanInverseNegativePenalty = inpSum / evaluated,
                Queries = rankings,
            };
        }

        /// <summary>True when gallery item a ranks before item b: better score, or equal score and smaller index.</summary>
        private static bool Better(ReadOnlySpan<float> row, int a, int b, bool higherIsBetter)
        {
            var sa = row[a];
            var sb = row[b];
            if (sa == sb)
            {
                return a < b;
            }

            return higherIsBetter ? sa > sb : sa < sb;
        }
    }
}
