using SanReid.Inference.Ranking;

namespace SanReid.Inference.Tests.Ranking;

public sealed class KReciprocalRerankingTests
{
    // One query and four gallery items on a line (D = 1): q = 0; g1 = 1, g2 = 1.5, g3 = -1.2, g4 = 3. Items 0..4 = q, g1..g4.
    internal static readonly float[] HandQuery = [0f];
    internal static readonly float[] HandGallery = [1f, 1.5f, -1.2f, 3f];

    [Fact]
    public void MatchesTheHandComputedCaseWithK1TwoAndNoQueryExpansion()
    {
        // k1 = 2, k2 = 1, lambda = 0.3; d = squared difference, each row scaled by its own maximum.
        //   row q: d = 0, 1, 2.25, 1.44, 9; max 9 -> d~ = 0, .111111, .25, .16, 1.
        //   nearest (3 = k1 + 1): q: [q, g1, g3]; g1: [g1, g2, q]; g2: [g2, g1, q]; g3: [g3, q, g1]; g4: [g4, g2, g1].
        //   R(., 2): q {q, g1, g3}; g1 {g1, g2, q}; g2 {g2, g1} (q lacks g2); g3 {g3, q} (g1 lacks g3); g4 {g4}.
        //   Expansion (round(2/2) = 1: R(c, 1) from 2 nearest) adds nothing new here, so R* = R.
        //   V_q over {q, g1, g3}: exp(-0, -.111111, -.16) = 1, .894839, .852144, sum 2.746983 -> .364036, .325753, .310211
        //   V_g1 over {q, g1, g2}: row max d(g1, g3) = 4.84; exp(-1/4.84, 0, -.25/4.84) = .813333, 1, .949658 -> .294367, .361926, .343706
        //   V_g2 over {g1, g2}: row max 7.29; exp(-.25/7.29) = .966279, 1 -> .491427, .508573
        //   V_g3 over {q, g3}: row max 17.64; exp(-1.44/17.64) = .921610, 1 -> .479603, .520397
        //   V_g4 = {g4: 1}.
        //   S(q, g1) = min(.364036, .294367) + min(.325753, .361926) = .620120 -> d_J = 1 - .620120 / 1.379880 = .550598
        //            d* = .7 x .550598 + .3 x .111111 = .418752
        //   S(q, g2) = min(.325753, .491427) = .325753 -> d_J = .805431 -> d* = .7 x .805431 + .3 x .25 = .638802
        //   S(q, g3) = .364036 + .310211 = .674247 -> d_J = .491422 -> d* = .7 x .491422 + .3 x .16 = .391995
        //   S(q, g4) = 0 -> d_J = 1 -> d* = .7 + .3 x 1 = 1
        // g3 (originally second, .16 > .111) now ranks first: q and g3 are k-reciprocal, and g1 is closer to g2 than to q.
        var reranking = KReciprocalReranking.Build(HandQuery, HandGallery, 1, new KReciprocalOptions { K1 = 2, K2 = 1, Lambda = 0.3 });

        var d = reranking.Distances();

        Assert.Equal(0.418752f, d[0], 5e-6f);
        Assert.Equal(0.638802f, d[1], 5e-6f);
        Assert.Equal(0.391995f, d[2], 5e-6f);
        Assert.Equal(1f, d[3], 5e-6f);
        Assert.Equal(3 + 3 + 2 + 2 + 1, reranking.NonZeros); // |R*| of q, g1, g2, g3, g4
    }

    [Theory]
    [InlineData(4, 3, 0.3)]
    [InlineData(20, 6, 0.3)] // the paper's setting; N = 40 > k1 + 1
    [InlineData(3, 1, 0.0)]
    [InlineData(6, 6, 1.0)]
    public void SparseChunkedResultEqualsTheDenseFormulasOnRandomFeatures(int k1, int k2, double lambda)
    {
        var random = new Random(k1 * 100 + k2);
        const int q = 9, g = 31, dim = 6;
        var query = Enumerable.Range(0, q * dim).Select(_ => (float)random.NextDouble()).ToArray();
        var gallery = Enumerable.Range(0, g * dim).Select(_ => (float)random.NextDouble()).ToArray();
        var expected = DenseReference(query, gallery, dim, k1, k2, lambda);

        foreach (var rowChunk in new[] { 0, 1, 5, 40 })
        {
            var options = new KReciprocalOptions { K1 = k1, K2 = k2, Lambda = lambda, RowChunkSize = rowChunk };
            var actual = KReciprocalReranking.Build(query, gallery, dim, options).Distances();
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) < 2e-5, $"row chunk {rowChunk}, entry {i}: dense {expected[i]}, sparse {actual[i]}");
            }
        }
    }

    [Theory]
    [InlineData(0, 6, 0.3, "k1 and k2")]
    [InlineData(20, 0, 0.3, "k1 and k2")]
    [InlineData(20, 6, 1.5, "lambda")]
    public void BadOptionsAreNamed(int k1, int k2, double lambda, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => KReciprocalReranking.Build(HandQuery, HandGallery, 1, new KReciprocalOptions { K1 = k1, K2 = k2, Lambda = lambda }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonFiniteFeatureNamesItsRow()
    {
        var e = Assert.Throws<ArgumentException>(() => KReciprocalReranking.Build(HandQuery, [1f, float.NaN], 1));
        Assert.Contains("gallery feature of row 1", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The paper's equations over the full (Q + G)^2 matrix, written directly (doubles, no chunking).</summary>
    private static float[] DenseReference(float[] query, float[] gallery, int dim, int k1, int k2, double lambda)
    {
        var all = query.Concat(gallery).ToArray();
        var n = all.Length / dim;
        var q = query.Length / dim;
        var d = new double[n, n];
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                d[a, b] = Enumerable.Range(0, dim).Sum(k => Math.Pow(all[(a * dim) + k] - all[(b * dim) + k], 2));
            }
        }

        var max = Enumerable.Range(0, n).Select(a => Enumerable.Range(0, n).Max(b => d[a, b])).ToArray();
        var rank = Enumerable.Range(0, n).Select(a => Enumerable.Range(0, n).OrderBy(b => d[a, b]).ThenBy(b => b).ToArray()).ToArray();
        int[] R(int p, int k) => rank[p].Take(k + 1).Where(x => rank[x].Take(k + 1).Contains(p)).ToArray();
        var v = new double[n, n];
        var half = (int)Math.Round(k1 / 2.0, MidpointRounding.ToEven);
        for (var p = 0; p < n; p++)
        {
            var r = R(p, k1);
            var set = new HashSet<int>(r);
            foreach (var c in r)
            {
                var rc = R(c, half);
                if (rc.Count(r.Contains) > 2.0 / 3 * rc.Length)
                {
                    set.UnionWith(rc);
                }
            }

            var sum = set.Sum(x => Math.Exp(-d[p, x] / max[p]));
            foreach (var x in set)
            {
                v[p, x] = Math.Exp(-d[p, x] / max[p]) / sum;
            }
        }

        if (k2 > 1)
        {
            var qe = new double[n, n];
            for (var p = 0; p < n; p++)
            {
                for (var x = 0; x < n; x++)
                {
                    qe[p, x] = rank[p].Take(k2).Average(m => v[m, x]);
                }
            }

            v = qe;
        }

        var result = new float[q * (n - q)];
        for (var p = 0; p < q; p++)
        {
            for (var gi = q; gi < n; gi++)
            {
                var s = Enumerable.Range(0, n).Sum(x => Math.Min(v[p, x], v[gi, x]));
                result[(p * (n - q)) + gi - q] = (float)(((1 - lambda) * (1 - (s / (2 - s)))) + (lambda * d[p, gi] / max[p]));
            }
        }

        return result;
    }
}
