namespace SanReid.Trainer.Data;

/// <summary>
/// P x K batch sampler (DESIGN.md "Training recipe": P 16 identities x K 4 images = batch 64): every batch holds P
/// distinct identities with exactly K images each, identity by identity (batch positions k*K .. k*K+K-1 share one
/// identity).
/// </summary>
/// <remarks>
/// <para>Source: Hermans et al., arXiv 1703.07737 (P x K batches); torchreid's RandomIdentitySampler as used by the SAN
/// public code. Per epoch, each identity's images are shuffled and cut into groups of K (an identity with fewer than K
/// images is filled to K by sampling its images with replacement; a last group shorter than K is dropped); then P
/// identities that still have a group are drawn at random per batch until fewer than P remain.</para>
/// <para>Deterministic: the batches depend only on (labels, P, K, seed, epoch), so a resumed run sees the same
/// batches as an uninterrupted one.</para>
/// </remarks>
public sealed class RandomIdentitySampler
{
    private readonly int[][] indicesByIdentity;
    private readonly int seed;

    /// <summary>Creates the sampler.</summary>
    /// <param name="labels">Identity label of each dataset item (any integers; equal = same identity).</param>
    /// <param name="p">Identities per batch, at least 1 and at most the number of identities.</param>
    /// <param name="k">Images per identity, at least 1.</param>
    /// <param name="seed">Seed; combined with the epoch number.</param>
    /// <exception cref="ArgumentException">P or K below 1, or more identities per batch than the dataset holds.</exception>
    public RandomIdentitySampler(IReadOnlyList<int> labels, int p, int k, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        indicesByIdentity = labels.Select((label, index) => (label, index))
            .GroupBy(t => t.label)
            .OrderBy(g => g.Key)
            .Select(g => g.Select(t => t.index).ToArray())
            .ToArray();
        if (p > indicesByIdentity.Length)
        {
            throw new ArgumentException($"A batch of P = {p} identities needs at least {p} identities; the dataset has {indicesByIdentity.Length}.", nameof(p));
        }

        P = p;
        K = k;
        this.seed = seed;
    }

    /// <summary>Identities per batch.</summary>
    public int P { get; }

    /// <summary>Images per identity in a batch.</summary>
    public int K { get; }

    /// <summary>Batch size P x K.</summary>
    public int BatchSize => P * K;

    /// <summary>
    /// The batches of one epoch: each an array of P x K dataset indices, K consecutive per identity. Calling twice with
    /// the same epoch returns the same batches.
    /// </summary>
    /// <param name="epoch">Epoch number (0-based); mixed into the seed.</param>
    public IReadOnlyList<int[]> EpochBatches(int epoch)
    {
        // Not HashCode.Combine: its per-process random seed would give a resumed run other batches.
        var random = new Random(EpochSeed(seed, epoch));
        var groups = new List<Queue<int[]>>(indicesByIdentity.Length);
        foreach (var indices in indicesByIdentity)
        {
            int[] pool;
            if (indices.Length < K)
            {
                pool = new int[K];
                for (var i = 0; i < K; i++)
                {
                    pool[i] = indices[random.Next(indices.Length)];
                }
            }
            else
            {
                pool = (int[])indices.Clone();
                random.Shuffle(pool);
            }

            var queue = new Queue<int[]>();
            for (var start = 0; start + K <= pool.Length; start += K)
            {
                queue.Enqueue(pool[start..(start + K)]);
            }

            groups.Add(queue);
        }

        var available = Enumerable.Range(0, groups.Count).ToList();
        var batches = new List<int[]>();
        while (available.Count >= P)
        {
            // Partial Fisher-Yates: the first P slots become P distinct random identities.
            for (var i = 0; i < P; i++)
            {
                var j = random.Next(i, available.Count);
                (available[i], available[j]) = (available[j], available[i]);
            }

            var picked = available.Take(P).ToArray();
            var batch = new int[P * K];
            for (var i = 0; i < P; i++)
            {
                groups[picked[i]].Dequeue().CopyTo(batch, i * K);
            }

            batches.Add(batch);
            available.RemoveAll(id => groups[id].Count == 0);
        }

        return batches;
    }

    /// <summary>The generator seed of an epoch: a SplitMix64 mix of (seed, epoch), the same in every process.</summary>
    internal static int EpochSeed(int seed, int epoch)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xD1B54A32D192ED03UL) ^ 0x5A4EUL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFFFFFF);
        }
    }
}
