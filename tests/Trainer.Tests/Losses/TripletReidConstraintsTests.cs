using SanReid.Trainer.Losses;
using static TorchSharp.torch;

namespace SanReid.Trainer.Tests.Losses;

public sealed class TripletReidConstraintsTests
{
    [Fact]
    public void MatchesTheHandComputedValueOnTwoMaps()
    {
        // Two identities x two images, maps of 2 elements (so d = mean of 2 squared differences).
        // Map A rows: a0 = (0, 0), a1 = (1, 1) [id 0]; a2 = (0, 1), a3 = (3, 3) [id 1].
        //   K = 2 fixes the positive; with two identities and batch hard, the negative is the nearer of two.
        //   d(a0,a1) = 1, d(a0,a2) = 0.5, d(a0,a3) = 9   -> anchor 0: 1 - 0.5 + 0.3 = 0.8
        //   d(a1,a0) = 1, d(a1,a2) = 0.5, d(a1,a3) = 4   -> anchor 1: 0.8
        //   d(a2,a3) = (9 + 4)/2 = 6.5, neg min(0.5, 0.5) -> anchor 2: 6.5 - 0.5 + 0.3 = 6.3
        //   d(a3,a2) = 6.5, neg min(9, 4) = 4            -> anchor 3: 6.5 - 4 + 0.3 = 2.8
        //   map A mean = (0.8 + 0.8 + 6.3 + 2.8) / 4 = 2.675; P - 1 = 1, so map A gives 1 x 2.675 (the public code sums
        //   P - 1 = 1 hinge term per map here)
        // Map B rows: identical within identity, far across: (0,0), (0,0), (2,2), (2,2): every hinge 0 - 4 + 0.3 < 0 -> 0.
        // Total = 2.675.
        using var mapA = tensor(new float[] { 0, 0, 1, 1, 0, 1, 3, 3 }, [4, 2, 1, 1]);
        using var mapB = tensor(new float[] { 0, 0, 0, 0, 2, 2, 2, 2 }, [4, 1, 2, 1]);
        using var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var loss = new TripletReidConstraints(0.3, TripletMining.BatchHard);

        using var value = loss.forward([mapA, mapB], labels);

        Assert.Equal(2.675f, value.item<float>(), 5);
    }

    [Fact]
    public void ThreeIdentitiesCountTwiceThePerAnchorMeanAsThePublicCodeSumsTwoTerms()
    {
        // P = 3 identities x K = 2, one-element maps (d = squared difference); K = 2 fixes the positive, batch hard the
        // negative. x = 0, 1 (id 0); 0.5, 1.5 (id 1); 4, 4 (id 2).
        //   a0 (0):   pos 1 -> d 1; nearest other 0.5 -> 0.25: 1 - 0.25 + 0.3 = 1.05
        //   a1 (1):   pos 0 -> d 1; nearest other 0.5 or 1.5 -> 0.25: 1.05
        //   a2 (0.5): pos 1.5 -> d 1; nearest other 0 or 1 -> 0.25: 1.05
        //   a3 (1.5): pos 0.5 -> d 1; nearest other 1 -> 0.25: 1.05
        //   a4, a5 (4): pos d 0; nearest other 1.5 -> 6.25: 0 - 6.25 + 0.3 < 0 -> 0
        //   mean over 6 anchors = 4.2 / 6 = 0.7; times P - 1 = 2 -> 1.4
        using var map = tensor(new float[] { 0, 1, 0.5f, 1.5f, 4, 4 }, [6, 1, 1, 1]);
        using var labels = tensor(new long[] { 0, 0, 1, 1, 2, 2 });
        using var loss = new TripletReidConstraints(0.3, TripletMining.BatchHard);

        using var value = loss.forward([map], labels);

        Assert.Equal(1.4f, value.item<float>(), 5);
    }

    [Fact]
    public void TheSanBatchOfSixteenByFourHasThePublicCodesScaleOfFifteenSummedTerms()
    {
        // P = 16 x K = 4, every image of identity i has the map v * e_i (C = 16): same identity d = 0, other identity
        // d = 2 v^2 / 16 = 0.1 with v^2 = 0.8. Every hinge is 0 - 0.1 + 0.3 = 0.2. The public code adds, per map,
        // P - 1 = 15 such terms: 3.0; four maps: 12.0. (An anchor mean alone would give 0.8, 15x weaker next to L1.)
        const int p = 16, k = 4;
        var v = (float)Math.Sqrt(0.8);
        var data = new float[p * k * p];
        var ids = new long[p * k];
        for (var n = 0; n < p * k; n++)
        {
            ids[n] = n / k;
            data[n * p + (n / k)] = v;
        }

        using var map = tensor(data, [p * k, p, 1, 1]);
        using var labels = tensor(ids);
        using var loss = new TripletReidConstraints(0.3, TripletMining.Random, seed: 1);

        using var value = loss.forward([map, map, map, map], labels);

        Assert.Equal(12.0f, value.item<float>(), 4);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void RandomMiningOnEquidistantIdentitiesGivesTheHandValueForAnyK(int k)
    {
        // P = 3 identities; every image of identity i has the map v * e_i (one-hot at channel i), C = 3, H = W = 1.
        // Same identity: d = 0. Other identity: d = (v^2 + v^2) / 3 = 2 v^2 / 3; with v^2 = 0.15, d = 0.1.
        // Every anchor, whichever samples are drawn: max(0, 0 - 0.1 + 0.3) = 0.2; per map (P - 1) x 0.2 = 0.4; four maps
        // sum to 1.6.
        const int p = 3;
        var v = (float)Math.Sqrt(0.15);
        var data = new float[p * k * 3];
        var ids = new long[p * k];
        for (var n = 0; n < p * k; n++)
        {
            ids[n] = n / k;
            data[n * 3 + (n / k)] = v;
        }

        using var map = tensor(data, [p * k, 3, 1, 1]);
        using var labels = tensor(ids);
        using var loss = new TripletReidConstraints(0.3, TripletMining.Random, seed: k);

        using var value = loss.forward([map, map, map, map], labels);

        Assert.Equal(1.6f, value.item<float>(), 5);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void BatchHardMatchesABruteForceCheckForAnyK(int k)
    {
        // Identity i, image j: every element of the map equals 0.3 i + 0.15 j (identities overlap), so d(a, b) = (x_a - x_b)^2. The expected value
        // is the brute-force hinge over all pairs, written out below with plain doubles.
        const int p = 3;
        var x = Enumerable.Range(0, p * k).Select(n => (0.3 * (n / k)) + (0.15 * (n % k))).ToArray();
        var ids = Enumerable.Range(0, p * k).Select(n => (long)(n / k)).ToArray();
        using var map = tensor(x.Select(value => Enumerable.Repeat((float)value, 8)).SelectMany(e => e).ToArray(), [p * k, 2, 2, 2]);
        using var labels = tensor(ids);
        using var loss = new TripletReidConstraints(0.3, TripletMining.BatchHard);

        using var value = loss.forward([map], labels);

        var expected = 0.0;
        for (var a = 0; a < x.Length; a++)
        {
            var hardestPos = Enumerable.Range(0, x.Length).Where(j => j != a && ids[j] == ids[a]).Max(j => Math.Pow(x[a] - x[j], 2));
            var hardestNeg = Enumerable.Range(0, x.Length).Where(j => ids[j] != ids[a]).Min(j => Math.Pow(x[a] - x[j], 2));
            expected += Math.Max(0, hardestPos - hardestNeg + 0.3);
        }

        expected = expected / x.Length * (p - 1); // the per-anchor mean at the public code's scale of P - 1 summed terms
        Assert.True(expected > 0, "the case should have active hinges");
        Assert.Equal(expected, value.item<float>(), 1e-4 * expected); // float32 against double: relative 1e-4
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void RandomSamplingPicksASameIdentityOtherSampleAndAnOtherIdentityForEveryAnchor(int k)
    {
        var ids = Enumerable.Range(0, 4 * k).Select(n => (long)(n / k)).ToArray();
        var random = new Random(7);
        var seenPositives = new HashSet<(int, long)>();

        for (var draw = 0; draw < 50; draw++)
        {
            var (positive, negative) = TripletReidConstraints.SampleRandom(ids, random);

            for (var a = 0; a < ids.Length; a++)
            {
                Assert.NotEqual(a, positive[a]);
                Assert.Equal(ids[a], ids[positive[a]]);
                Assert.NotEqual(ids[a], ids[negative[a]]);
                seenPositives.Add((a, positive[a]));
            }
        }

        // Over 50 draws every same-identity partner of every anchor shows up (K - 1 candidates each).
        Assert.Equal(ids.Length * (k - 1), seenPositives.Count);
    }

    [Fact]
    public void TheSameSeedGivesTheSameTriplets()
    {
        long[] ids = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];

        var first = TripletReidConstraints.SampleRandom(ids, new Random(3));
        var second = TripletReidConstraints.SampleRandom(ids, new Random(3));

        Assert.Equal(first.Positive, second.Positive);
        Assert.Equal(first.Negative, second.Negative);
    }

    [Fact]
    public void AnIdentityWithOneImageIsAnError()
    {
        using var map = randn(5, 2, 1, 1);
        using var labels = tensor(new long[] { 0, 0, 1, 1, 2 });
        using var loss = new TripletReidConstraints();

        var error = Assert.Throws<ArgumentException>(() => loss.forward([map], labels));

        Assert.Contains("identity 2 has one", error.Message);
    }

    [Fact]
    public void GradientsReachTheMaps()
    {
        using var map = randn(6, 3, 2, 2).requires_grad_(true);
        using var labels = tensor(new long[] { 0, 0, 1, 1, 2, 2 });
        using var loss = new TripletReidConstraints(margin: 10.0);

        using var value = loss.forward([map], labels);
        value.backward();

        Assert.True(value.item<float>() > 0);
        Assert.True(map.grad!.abs().sum().item<float>() > 0);
    }
}
