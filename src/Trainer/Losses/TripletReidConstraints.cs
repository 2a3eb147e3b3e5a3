using TorchSharp;
using static TorchSharp.torch;

namespace SanReid.Trainer.Losses;

/// <summary>How <see cref="TripletReidConstraints"/> picks, per anchor, its same-identity and other-identity samples.</summary>
public enum TripletMining
{
    /// <summary>A uniformly random same-identity sample (not the anchor) and a uniformly random other-identity sample, drawn per map from a seeded generator.</summary>
    Random,

    /// <summary>Per map, the farthest same-identity sample and the nearest other-identity sample (batch hard).</summary>
    BatchHard,
}

/// <summary>
/// Triplet ReID constraints on the SA-Dec feature maps (DESIGN.md "Losses", weight 1): for each decoder map F (the four
/// up-block outputs) and each anchor a of the batch, with a same-identity sample p(a) != a and an other-identity sample
/// n(a),
/// <c>L = sum_maps ((P - 1) / N) sum_a max(0, d(F_a, F_p(a)) - d(F_a, F_n(a)) + m)</c>, <c>d(x, y) = mean((x - y)^2)</c>
/// over C x H x W (the MSE of the public code), margin m = 0.3, N the batch size, P the identities in the batch.
/// </summary>
/// <remarks>
/// <para>Source: SAN paper (Jin et al., AAAI 2020), section 3.2 "Triplet ReID constraints"; public code main.py. The
/// public code hard-codes batch offsets (i+1, i+4, ...) that assume K = 4 images per identity and, per map, <b>sums</b>
/// P - 1 hinge terms (one anchor in each identity group but the last), then adds that sum 1:1 to the texture L1 loss.
/// This class works for any P x K batch with K &gt;= 2 and uses every sample as an anchor; to keep the public code's
/// scale next to L1 it multiplies the per-anchor mean by P - 1, so each map contributes what P - 1 summed hinge terms
/// contribute on average (15 at P 16: 15 times the per-anchor mean).</para>
/// <para>Every identity in the batch needs at least two images and the batch at least two identities, otherwise an
/// anchor has no triplet and <see cref="ArgumentException"/> is thrown (a P x K sampler with K &gt;= 2 guarantees both).</para>
/// </remarks>
public sealed class TripletReidConstraints : nn.Module<IReadOnlyList<Tensor>, Tensor, Tensor>
{
    private readonly double margin;
    private readonly TripletMining mining;
    private readonly Random random;

    /// <summary>Creates the loss.</summary>
    /// <param name="margin">Hinge margin m &gt;= 0; default 0.3 (SAN public code).</param>
    /// <param name="mining">Triplet selection; default random.</param>
    /// <param name="seed">Seed of the generator used by <see cref="TripletMining.Random"/>; the same seed and calls give the same triplets.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is negative or NaN.</exception>
    public TripletReidConstraints(double margin = 0.3, TripletMining mining = TripletMining.Random, int seed = 0)
        : base(nameof(TripletReidConstraints))
    {
        if (!(margin >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "Margin must be non-negative.");
        }

        this.margin = margin;
        this.mining = mining;
        random = new Random(seed);
        RegisterComponents();
    }

    /// <summary>The loss, a scalar: per map, P - 1 times the mean hinge over anchors; summed over maps.</summary>
    /// <param name="maps">Decoder maps, each [N, C, H, W] (any shape with N first); normally the four SA-Dec up-block outputs.</param>
    /// <param name="labels">Identity labels [N], integer.</param>
    /// <exception cref="ArgumentException">No maps, a map whose batch size differs from the labels, an identity with one image, or a single identity.</exception>
    public override Tensor forward(IReadOnlyList<Tensor> maps, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
        {
            throw new ArgumentException("Triplet ReID constraints need at least one feature map.", nameof(maps));
        }

        var n = labels.shape[0];
        if (labels.dim() != 1 || maps.Any(m => m.dim() < 2 || m.shape[0] != n))
        {
            throw new ArgumentException($"Every map must be [N, ...] with N = {n} labels; got {string.Join(", ", maps.Select(m => "[" + string.Join(", ", m.shape) + "]"))}.");
        }

        var ids = labels.cpu().to(ScalarType.Int64).data<long>().ToArray();
        CheckBatch(ids);
        var scale = ids.Distinct().Count() - 1; // P - 1: the public code's number of summed hinge terms per map
        using var scope = NewDisposeScope();
        Tensor? total = null;
        foreach (var map in maps)
        {
            var flat = map.flatten(1);
            var (positive, negative) = mining == TripletMining.Random ? SampleRandom(ids, random) : MineHardest(flat, ids);
            var term = Hinge(flat, positive, negative, margin);
            total = total is null ? term : total + term;
        }

        return (total! * scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The hinge mean for one map: <c>(1/N) sum_a max(0, d(a, p_a) - d(a, n_a) + m)</c>, d = mean squared difference.
    /// </summary>
    /// <param name="flat">Map rows [N, D].</param>
    /// <param name="positive">Same-identity partner of each anchor, length N.</param>
    /// <param name="negative">Other-identity partner of each anchor, length N.</param>
    /// <param name="margin">Hinge margin.</param>
    public static Tensor Hinge(Tensor flat, long[] positive, long[] negative, double margin)
    {
        using var scope = NewDisposeScope();
        var pos = flat.index_select(0, tensor(positive, device: flat.device));
        var neg = flat.index_select(0, tensor(negative, device: flat.device));
        var dPos = (flat - pos).pow(2).mean([1]);
        var dNeg = (flat - neg).pow(2).mean([1]);
        return nn.functional.relu(dPos - dNeg + margin).mean().MoveToOuterDisposeScope();
    }

    /// <summary>For every anchor, a random same-identity sample other than itself and a random other-identity sample.</summary>
    /// <param name="labels">Identity of each batch item.</param>
    /// <param name="random">Generator; each call draws 2N values from it.</param>
    /// <exception cref="ArgumentException">An identity with one image, or a single identity.</exception>
    public static (long[] Positive, long[] Negative) SampleRandom(long[] labels, Random random)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(random);
        CheckBatch(labels);
        var byId = labels.Select((id, i) => (id, i)).GroupBy(t => t.id).ToDictionary(g => g.Key, g => g.Select(t => (long)t.i).ToArray());
        var positive = new long[labels.Length];
        var negative = new long[labels.Length];
        for (var a = 0; a < labels.Length; a++)
        {
            var same = byId[labels[a]];
            var p = same[random.Next(same.Length - 1)];
            positive[a] = p == a ? same[^1] : p; // draws from the group minus the anchor: the anchor's slot maps to the last item
            var others = labels.Length - same.Length;
            var k = random.Next(others);
            for (var j = 0; j < labels.Length; j++)
            {
                if (labels[j] != labels[a] && k-- == 0)
                {
                    negative[a] = j;
                    break;
                }
            }
        }

        return (positive, negative);
    }

    /// <summary>For every anchor, the farthest same-identity sample and the nearest other-identity sample by mean squared difference (ties: lowest index).</summary>
    /// <param name="flat">Map rows [N, D]; read without gradient.</param>
    /// <param name="labels">Identity of each batch item.</param>
    /// <exception cref="ArgumentException">An identity with one image, or a single identity.</exception>
    public static (long[] Positive, long[] Negative) MineHardest(Tensor flat, long[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckBatch(labels);
        float[] d;
        using (no_grad())
        using (NewDisposeScope())
        {
            // |x|^2 + |y|^2 - 2 x.y in float64: an [N, N, D] difference tensor would be N times the map's size.
            var x = flat.detach().to(ScalarType.Float64);
            var squared = x.pow(2).sum(1, keepdim: true);
            var d2 = (squared + squared.t() - 2 * x.matmul(x.t())).clamp_min(0) / x.shape[1];
            d = d2.to(ScalarType.Float32).cpu().data<float>().ToArray();
        }

        var n = labels.Length;
        var positive = new long[n];
        var negative = new long[n];
        for (var a = 0; a < n; a++)
        {
            float bestPos = float.NegativeInfinity, bestNeg = float.PositiveInfinity;
            for (var j = 0; j < n; j++)
            {
                var v = d[a * n + j];
                if (j == a)
                {
                    continue;
                }

                if (labels[j] == labels[a] && v > bestPos)
                {
                    bestPos = v;
                    positive[a] = j;
                }
                else if (labels[j] != labels[a] && v < bestNeg)
                {
                    bestNeg = v;
                    negative[a] = j;
                }
            }
        }

        return (positive, negative);
    }

    private static void CheckBatch(long[] labels)
    {
        var counts = labels.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        if (counts.Count < 2)
        {
            throw new ArgumentException($"Triplet ReID constraints need at least two identities in the batch; got {counts.Count}.");
        }

        var single = counts.FirstOrDefault(kv => kv.Value < 2);
        if (single.Value == 1)
        {
            throw new ArgumentException($"Triplet ReID constraints need at least two images of every identity in the batch (K >= 2); identity {single.Key} has one.");
        }
    }
}
