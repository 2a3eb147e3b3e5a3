namespace SanReid.Inference.Ranking;

/// <summary>Settings of <see cref="KReciprocalReranking"/>; defaults are the paper's (Zhong et al., CVPR 2017, Sec. 4.2: k1 20, k2 6, lambda 0.3).</summary>
public sealed record KReciprocalOptions
{
    /// <summary>k1 &gt;= 1: size of the k-reciprocal neighbourhood R(p, k1) (the k1 + 1 nearest, the item included). Default 20.</summary>
    public int K1 { get; init; } = 20;

    /// <summary>k2 &gt;= 1: local query expansion over the k2 nearest (the item included); 1 = none. Default 6.</summary>
    public int K2 { get; init; } = 6;

    /// <summary>Weight of the original distance in the final one, in [0, 1]: d* = (1 - lambda) d_J + lambda d. Default 0.3.</summary>
    public double Lambda { get; init; } = 0.3;

    /// <summary>
    /// Rows of the (Q + G)-wide distance block held at a time while the neighbour lists are built; 0 (default) picks the
    /// most rows whose block fits in 64 MB (at least 4).
    /// </summary>
    public int RowChunkSize { get; init; }

    /// <summary>Threads used; -1 lets the runtime choose. Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// k-reciprocal re-ranking (Zhong, Zheng, Cao, Li, "Re-ranking Person Re-identification with k-reciprocal Encoding",
/// CVPR 2017) of query-to-gallery distances, with memory bounded by sparse neighbour sets instead of a (Q + G)^2 matrix.
/// Pure managed code over float arrays (no TorchSharp), so a service can re-rank candidates from their stored embeddings.
/// </summary>
/// <remarks>
/// <para>Over all N = Q + G items (queries first), with d the squared Euclidean distance of the features as given
/// (pass unit-length features for cosine scoring: d = 2 - 2 cos) and d~(p, .) = d(p, .) / max_x d(p, x) (each row scaled
/// by its own maximum, as the authors' code does):</para>
/// <list type="number">
/// <item>N(p, k): the k nearest items of p by d, p itself first (ties by index). R(p, k) = { x in N(p, k + 1) : p in N(x, k + 1) }.</item>
/// <item>R*(p) = R(p, k1) plus, for each c in R(p, k1), R(c, round(k1 / 2)) when more than two thirds of it lies in
/// R(p, k1) (round halves to even, as NumPy's around).</item>
/// <item>V_p[x] = exp(-d~(p, x)) / sum_{y in R*(p)} exp(-d~(p, y)) for x in R*(p), else 0. With k2 &gt; 1 (local query
/// expansion) V_p is replaced by the mean of V_x over the k2 nearest x of p (N(p, k2)).</item>
/// <item>d_J(p, g) = 1 - S / (2 - S), S = sum_x min(V_p[x], V_g[x]); final d*(p, g) = (1 - lambda) d_J(p, g) + lambda d~(p, g).</item>
/// </list>
/// <para>Memory: the N x N distance matrix never exists. <see cref="Build"/> streams it in blocks of
/// <see cref="KReciprocalOptions.RowChunkSize"/> x N floats (64 MB by default) to keep, per item, its
/// L = max(k1 + 1, k2) nearest neighbours (N x L ints) and its row maximum; the encodings V are sparse, |R*(p)| &lt;=
/// (k1 + 1)(round(k1 / 2) + 2) entries (252 at k1 = 20; far fewer in practice), a query-expanded row at most k2 times
/// that; they are kept as compressed rows plus an inverted (column) index, 16 bytes per non-zero in all
/// (<see cref="NonZeros"/>, <see cref="EncodingBytes"/>). <see cref="QueryDistances"/> then fills one chunk of query
/// rows at a time. For MSMT17 (11,659 + 82,161 = 93,820 items) the neighbour lists take 93,820 x 21 x 4 B = 7.9 MB and
/// the encodings 16 B per non-zero (1.5 MB per non-zero per row: 150 MB at 100 per row), where the full float matrix
/// would take 93,820^2 x 4 B = 35 GB.</para>
/// <para>Cost: the neighbour lists need all N^2 dot products once (N^2 x D multiply-adds, e.g. 4.5e12 for MSMT17 at
/// D = 512: minutes on two cores); everything after is proportional to the non-zeros.</para>
/// <para>Deterministic: neighbour ties are broken by index, so results do not depend on thread count or chunk size.</para>
/// </remarks>
public sealed class KReciprocalReranking
{
    private const long DefaultBlockFloats = 16L * 1024 * 1024; // 64 MB of float32

    private readonly float[] query;
    private readonly float[] gallery;
    private readonly float[] querySquaredNorms;
    private readonly float[] gallerySquaredNorms;
    private readonly int dimension;
    private readonly double lambda;
    private readonly ParallelOptions parallel;
    private readonly float[] rowMax;
    private readonly int[] rowStart;
    private readonly int[] rowColumns;
    private readonly float[] rowValues;
    private readonly int[] columnStart;
    private readonly int[] columnRows;
    private readonly float[] columnValues;

    private KReciprocalReranking(float[] query, float[] gallery, int dimension, KReciprocalOptions options)
    {
        this.query = query;
        this.gallery = gallery;
        this.dimension = dimension;
        lambda = options.Lambda;
        parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        NumQuery = query.Length / dimension;
        NumGallery = gallery.Length / dimension;
        var n = NumQuery + NumGallery;
        querySquaredNorms = FeatureMath.SquaredNorms(query, dimension);
        gallerySquaredNorms = FeatureMath.SquaredNorms(gallery, dimension);

        var listLength = Math.Min(n, Math.Max(options.K1 + 1, options.K2));
        rowMax = new float[n];
        var neighbours = NearestNeighbours(listLength, options.RowChunkSize);
        var encodings = Encodings(neighbours, listLength, Math.Min(options.K1, listLength - 1));
        if (options.K2 > 1)
        {
            encodings = QueryExpansion(encodings, neighbours, listLength, Math.Min(options.K2, listLength));
        }

        (rowStart, rowColumns, rowValues) = Compress(encodings);
        (columnStart, columnRows, columnValues) = Transpose(n, rowStart, rowColumns, rowValues);
    }

    /// <summary>Queries re-ranked (Q).</summary>
    public int NumQuery { get; }

    /// <summary>Gallery items (G).</summary>
    public int NumGallery { get; }

    /// <summary>Non-zeros of the (query-expanded) encodings over all Q + G items.</summary>
    public long NonZeros => rowColumns.Length;

    /// <summary>Bytes held between <see cref="Build"/> and the last <see cref="QueryDistances"/>: the encodings by row and by column, row maxima and norms (the features are the caller's).</summary>
    public long EncodingBytes => (16L * NonZeros) + (4L * (rowStart.Length + columnStart.Length + rowMax.Length + NumQuery + NumGallery));

    /// <summary>Builds the k-reciprocal encodings of queries and gallery.</summary>
    /// <param name="queryFeatures">Query features, row-major [Q, dimension]; kept by reference (do not change them while in use).</param>
    /// <param name="galleryFeatures">Gallery features, row-major [G, dimension]; kept by reference.</param>
    /// <param name="dimension">Feature length D &gt; 0.</param>
    /// <param name="options">k1, k2, lambda, chunking; null = the paper's 20 / 6 / 0.3.</param>
    /// <exception cref="ArgumentException">Empty query or gallery, lengths not a multiple of D, a non-finite feature, or an option out of range (named).</exception>
    public static KReciprocalReranking Build(float[] queryFeatures, float[] galleryFeatures, int dimension, KReciprocalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(queryFeatures);
        ArgumentNullException.ThrowIfNull(galleryFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        options ??= new KReciprocalOptions();
        if (options.K1 < 1 || options.K2 < 1)
        {
            throw new ArgumentException($"k1 and k2 must be >= 1; got k1 = {options.K1}, k2 = {options.K2}.", nameof(options));
        }

        if (!(options.Lambda is >= 0 and <= 1))
        {
            throw new ArgumentException($"lambda must be in [0, 1]; got {options.Lambda}.", nameof(options));
        }

        if (options.RowChunkSize < 0)
        {
            throw new ArgumentException($"RowChunkSize must be >= 0; got {options.RowChunkSize}.", nameof(options));
        }

        foreach (var (features, split) in new[] { (queryFeatures, "query"), (galleryFeatures, "gallery") })
        {
            if (features.Length == 0 || features.Length % dimension != 0)
            {
                throw new ArgumentException($"The {split} features hold {features.Length} floats: not a positive multiple of dimension {dimension}.");
            }

            var bad = Array.FindIndex(features, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ArgumentException($"The {split} feature of row {bad / dimension} holds a non-finite value ({features[bad]}) at column {bad % dimension}.");
            }
        }

        return new KReciprocalReranking(queryFeatures, galleryFeatures, dimension, options);
    }

    /// <summary>Re-ranked distances d* of queries [start, start + count) to every gallery item (smaller is better).</summary>
    /// <param name="start">First query row.</param>
    /// <param name="count">Query rows.</param>
    /// <param name="destination">Receives row-major [count, G] values in [0, 1]; at least count x G long.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rows are outside [0, Q) or the destination is too short.</exception>
    public void QueryDistances(int start, int count, float[] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (start < 0 || count < 0 || start + count > NumQuery)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Query rows [{start}, {start + count}) are outside [0, {NumQuery}).");
        }

        var g = NumGallery;
        if (destination.Length < (long)count * g)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), $"The destination holds {destination.Length} floats; {count} x {g} needed.");
        }

        FeatureMath.Block(query, start, count, querySquaredNorms, gallery, g, gallerySquaredNorms, dimension, destination, 0, g, parallel);
        var q = NumQuery;
        Parallel.For(0, count, parallel, () => new float[g], (i, _, overlap) =>
        {
            var p = start + i;
            // S(p, g) = sum over the shared columns x of min(V_p[x], V_g[x]), found through the column index.
            for (var k = rowStart[p]; k < rowStart[p + 1]; k++)
            {
                var vp = rowValues[k];
                var column = rowColumns[k];
                for (var m = columnStart[column]; m < columnStart[column + 1]; m++)
                {
                    var r = columnRows[m];
                    if (r >= q)
                    {
                        overlap[r - q] += Math.Min(vp, columnValues[m]);
                    }
                }
            }

            var row = destination.AsSpan(i * g, g);
            var scale = rowMax[p] > 0 ? 1f / rowMax[p] : 0f;
            for (var j = 0; j < g; j++)
            {
                var s = overlap[j];
                overlap[j] = 0;
                var jaccard = 1 - (s / (2 - s));
                var original = Math.Max(0f, row[j]) * scale;
                row[j] = (float)(((1 - lambda) * jaccard) + (lambda * original));
            }

            return overlap;
        }, _ => { });
    }

    /// <summary>All re-ranked distances, row-major [Q, G]; for small sets (e.g. one query and its top candidates).</summary>
    public float[] Distances()
    {
        var result = new float[(long)NumQuery * NumGallery];
        QueryDistances(0, NumQuery, result);
        return result;
    }

    /// <summary>
    /// For every item, its <paramref name="length"/> nearest items (by d, ties by index; itself first at distance 0),
    /// row-major [N, length]; fills <see cref="rowMax"/>. The N-wide distance rows are computed a block of rows at a time.
    /// </summary>
    private int[] NearestNeighbours(int length, int rowChunkSize)
    {
        var q = NumQuery;
        var n = q + NumGallery;
        var chunk = rowChunkSize > 0 ? Math.Min(rowChunkSize, n) : (int)Math.Clamp(DefaultBlockFloats / n, Math.Min(4, n), n);
        chunk = (int)Math.Min(chunk, Math.Max(1, int.MaxValue / n)); // block indices stay within int
        var block = new float[(long)chunk * n];
        var result = new int[(long)n * length];
        for (var start = 0; start < n; start += chunk)
        {
            var count = Math.Min(chunk, n - start);
            // Rows of this block that are queries, then those that are gallery items; columns: queries, then gallery.
            var queryRows = Math.Clamp(q - start, 0, count);
            if (queryRows > 0)
            {
                FeatureMath.Block(query, start, queryRows, querySquaredNorms, query, q, querySquaredNorms, dimension, block, 0, n, parallel);
                FeatureMath.Block(query, start, queryRows, querySquaredNorms, gallery, NumGallery, gallerySquaredNorms, dimension, block, q, n, parallel);
            }

            if (count > queryRows)
            {
                var galleryStart = start + queryRows - q;
                var offset = (long)queryRows * n;
                FeatureMath.Block(gallery, galleryStart, count - queryRows, gallerySquaredNorms, query, q, querySquaredNorms, dimension, block, offset, n, parallel);
                FeatureMath.Block(gallery, galleryStart, count - queryRows, gallerySquaredNorms, gallery, NumGallery, gallerySquaredNorms, dimension, block, offset + q, n, parallel);
            }

            var blockStart = start;
            Parallel.For(0, count, parallel, i =>
            {
                var p = blockStart + i;
                var row = block.AsSpan(i * n, n);
                row[p] = 0; // exactly: |x|^2 + |x|^2 - 2 x.x may round away from 0
                var nearest = result.AsSpan(p * length, length);
                Span<float> nearestDistance = length <= 256 ? stackalloc float[length] : new float[length];
                var filled = 0;
                var max = 0f;
                for (var j = 0; j < n; j++)
                {
                    var v = Math.Max(0f, row[j]);
                    max = Math.Max(max, v);
                    if (filled == length && !(v < nearestDistance[length - 1]))
                    {
                        continue;
                    }

                    // Insertion into the sorted list; j is larger than every index there, so ties keep index order.
                    var pos = Math.Min(filled, length - 1);
                    while (pos > 0 && v < nearestDistance[pos - 1])
                    {
                        nearestDistance[pos] = nearestDistance[pos - 1];
                        nearest[pos] = nearest[pos - 1];
                        pos--;
                    }

                    nearestDistance[pos] = v;
                    nearest[pos] = j;
                    filled = Math.Min(filled + 1, length);
                }

                rowMax[p] = max;
            });
        }

        return result;
    }

    /// <summary>The encodings V_p (sorted columns, weights) from the neighbour lists: steps 1-3 of the remarks without query expansion.</summary>
    private (int[] Columns, float[] Values)[] Encodings(int[] neighbours, int length, int k1)
    {
        var n = NumQuery + NumGallery;
        var half = (int)Math.Round(k1 / 2.0, MidpointRounding.ToEven);
        var encodings = new (int[], float[])[n];
        Parallel.For(0, n, parallel, p =>
        {
            var reciprocal = Reciprocal(neighbours, length, p, k1);
            var expanded = new SortedSet<int>(reciprocal);
            foreach (var c in reciprocal)
            {
                var candidate = Reciprocal(neighbours, length, c, half);
                if (candidate.Count(reciprocal.Contains) > 2.0 / 3.0 * candidate.Count)
                {
                    expanded.UnionWith(candidate);
                }
            }

            var columns = expanded.ToArray();
            var weights = new double[columns.Length];
            var scale = rowMax[p] > 0 ? 1.0 / rowMax[p] : 0.0;
            for (var i = 0; i < columns.Length; i++)
            {
                weights[i] = Math.Exp(-Distance(p, columns[i]) * scale);
            }

            var sum = weights.Sum();
            encodings[p] = (columns, weights.Select(w => (float)(w / sum)).ToArray());
        });
        return encodings;
    }

    /// <summary>R(p, k): the items among p's k + 1 nearest that have p among their own k + 1 nearest.</summary>
    private static List<int> Reciprocal(int[] neighbours, int length, int p, int k)
    {
        var forward = neighbours.AsSpan(p * length, k + 1);
        var result = new List<int>(k + 1);
        foreach (var x in forward)
        {
            if (neighbours.AsSpan(x * length, k + 1).Contains(p))
            {
                result.Add(x);
            }
        }

        return result;
    }

    /// <summary>Local query expansion: V_p := mean of V_x over p's k2 nearest x.</summary>
    private (int[] Columns, float[] Values)[] QueryExpansion((int[] Columns, float[] Values)[] encodings, int[] neighbours, int length, int k2)
    {
        var n = encodings.Length;
        var expanded = new (int[], float[])[n];
        Parallel.For(0, n, parallel, () => (Sum: new double[n], Seen: new bool[n], Touched: new List<int>()), (p, _, scratch) =>
        {
            foreach (var x in neighbours.AsSpan(p * length, k2))
            {
                var (columns, values) = encodings[x];
                for (var i = 0; i < columns.Length; i++)
                {
                    if (!scratch.Seen[columns[i]])
                    {
                        scratch.Seen[columns[i]] = true;
                        scratch.Touched.Add(columns[i]);
                    }

                    scratch.Sum[columns[i]] += values[i];
                }
            }

            scratch.Touched.Sort();
            var resultColumns = scratch.Touched.ToArray();
            var resultValues = new float[resultColumns.Length];
            for (var i = 0; i < resultColumns.Length; i++)
            {
                var c = resultColumns[i];
                resultValues[i] = (float)(scratch.Sum[c] / k2);
                scratch.Sum[c] = 0;
                scratch.Seen[c] = false;
            }

            scratch.Touched.Clear();
            expanded[p] = (resultColumns, resultValues);
            return scratch;
        }, _ => { });
        return expanded;
    }

    /// <summary>d(a, b) over all items (queries first), recomputed from the features; 0 for a = b.</summary>
    private double Distance(int a, int b)
    {
        if (a == b)
        {
            return 0;
        }

        return Math.Max(0.0, SquaredNorm(a) + SquaredNorm(b) - (2.0 * FeatureMath.Dot(Vector(a), Vector(b))));
    }

    private ReadOnlySpan<float> Vector(int r) =>
        r < NumQuery ? query.AsSpan(r * dimension, dimension) : gallery.AsSpan((r - NumQuery) * dimension, dimension);

    private float SquaredNorm(int r) => r < NumQuery ? querySquaredNorms[r] : gallerySquaredNorms[r - NumQuery];

    private static (int[] Start, int[] Columns, float[] Values) Compress((int[] Columns, float[] Values)[] rows)
    {
        var start = new int[rows.Length + 1];
        for (var r = 0; r < rows.Length; r++)
        {
            start[r + 1] = checked(start[r] + rows[r].Columns.Length);
        }

        var columns = new int[start[^1]];
        var values = new float[start[^1]];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r].Columns.CopyTo(columns, start[r]);
            rows[r].Values.CopyTo(values, start[r]);
        }

        return (start, columns, values);
    }

    /// <summary>The same non-zeros by column: for column x, the rows r (ascending) with V_r[x] != 0 and their values.</summary>
    private static (int[] Start, int[] Rows, float[] Values) Transpose(int n, int[] rowStart, int[] rowColumns, float[] rowValues)
    {
        var start = new int[n + 1];
        foreach (var c in rowColumns)
        {
            start[c + 1]++;
        }

        for (var c = 0; c < n; c++)
        {
            start[c + 1] += start[c];
        }

        var next = start[..n];
        var rows = new int[rowColumns.Length];
        var values = new float[rowColumns.Length];
        for (var r = 0; r < n; r++)
        {
            for (var k = rowStart[r]; k < rowStart[r + 1]; k++)
            {
                var at = next[rowColumns[k]]++;
                rows[at] = r;
                values[at] = rowValues[k];
            }
        }

        return (start, rows, values);
    }
}
