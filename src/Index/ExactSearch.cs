namespace SanReid.Index;

/// <summary>Exact top-k by inner product over chosen rows of the <see cref="VectorArena"/>: the path for small
/// selections (one camera, one hour), for the fallback when an approximate index misses qualifying items, and the
/// ground truth of nprobe calibration.</summary>
internal static class ExactSearch
{
    /// <summary>The best <paramref name="k"/> (position, score) of <paramref name="positions"/>, score descending, ties
    /// by position ascending. Cost: positions.Length dot products of D floats (SIMD via TensorPrimitives).</summary>
    public static (int Position, float Score)[] TopK(VectorArena arena, ReadOnlySpan<float> query, ReadOnlySpan<int> positions, int k)
    {
        // Min-heap of the best k so far: the root is the weakest kept score.
        var best = new PriorityQueue<int, (float Score, int Position)>(k + 1, Weakest);
        foreach (int p in positions)
        {
            float score = arena.Dot(query, p);
            if (best.Count < k)
            {
                best.Enqueue(p, (score, p));
            }
            else if (best.TryPeek(out _, out var weakest) && (score > weakest.Score || (score == weakest.Score && p < weakest.Position)))
            {
                best.EnqueueDequeue(p, (score, p));
            }
        }

        var result = new (int, float)[best.Count];
        for (int i = result.Length - 1; best.TryDequeue(out int p, out var entry); i--)
        {
            result[i] = (p, entry.Score);
        }

        return result;
    }

    private static readonly Comparer<(float Score, int Position)> Weakest = Comparer<(float Score, int Position)>.Create(
        (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Position.CompareTo(a.Position));
}
