using System.Numerics.Tensors;

namespace SanReid.Index;

/// <summary>
/// Chooses an IVF index's nprobe: the smallest power of two (from a start value) at which recall@10 against exact search
/// reaches the target + 0.02, measured with stored items as queries (their own id left out), after the same exact
/// re-scoring of <see cref="GallerySearcher.LossyCandidateFactor"/> x 10 candidates that search does. Half the queries
/// are the newest items and half are spread over the gallery, so drift since training shows.
/// </summary>
internal static class NprobeCalibrator
{
    /// <summary>Stored items used as queries.</summary>
    public const int Queries = 48;

    private const int K = 10;

    /// <summary>
    /// (nprobe, recall@10) for <paramref name="target"/> over the live rows below <paramref name="rows"/>, or (null, null)
    /// for non-IVF indexes. With <paramref name="shared"/> (the index in use, which writers mutate under the write
    /// lock) each FAISS search runs under one read-lock hold of one query; exact truth is computed outside any lock
    /// from chunk copies.
    /// </summary>
    public static (int? Nprobe, double? Recall) Calibrate(
        FaissIndex target, GalleryRows reader, int rows, int startProbes, int maxProbes, bool shared, double targetRecall)
    {
        if (target.Nlist is not { } nlist)
        {
            return (null, null);
        }

        int dimension = reader.Dimension;
        maxProbes = Math.Clamp(maxProbes, 1, nlist);
        int[] live = reader.Live(rows);
        if (live.Length <= 2 * K)
        {
            return (maxProbes, 1.0);
        }

        int q = Math.Min(Queries, live.Length / 2);
        var chosen = new List<int>(live[^(q / 2)..]); // positions grow with ids except where freed ones were reused
        int spread = q - q / 2;
        for (int i = 0; i < spread; i++)
        {
            int p = live[(int)((long)i * live.Length / spread)];
            if (!chosen.Contains(p))
            {
                chosen.Add(p);
            }
        }

        (long[] queryIds, float[] queries) = reader.CopyPositions(chosen);

        // Exact truth, chunk by chunk: rows copied under the read lock, scored outside it.
        var heaps = queryIds.Select(_ => new PriorityQueue<long, float>()).ToArray();
        for (int start = 0; start < rows; start += GalleryRows.Chunk)
        {
            (ReadOnlyMemory<long> chunkIds, ReadOnlyMemory<float> chunkRows) = reader.Copy(start, Math.Min(rows, start + GalleryRows.Chunk));
            Parallel.For(0, queryIds.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                ReadOnlySpan<float> query = queries.AsSpan(i * dimension, dimension);
                ReadOnlySpan<long> idsOfChunk = chunkIds.Span;
                ReadOnlySpan<float> rowsOfChunk = chunkRows.Span;
                PriorityQueue<long, float> heap = heaps[i];
                for (int r = 0; r < idsOfChunk.Length; r++)
                {
                    if (idsOfChunk[r] == queryIds[i])
                    {
                        continue;
                    }

                    float score = TensorPrimitives.Dot(query, rowsOfChunk.Slice(r * dimension, dimension));
                    if (heap.Count < K)
                    {
                        heap.Enqueue(idsOfChunk[r], score);
                    }
                    else if (heap.TryPeek(out _, out float weakest) && score > weakest)
                    {
                        heap.EnqueueDequeue(idsOfChunk[r], score);
                    }
                }
            });
        }

        HashSet<long>[] truth = [.. heaps.Select(h => h.UnorderedItems.Select(e => e.Element).ToHashSet())];
        for (int probes = Math.Clamp(startProbes, 1, maxProbes); ; probes = Math.Min(maxProbes, probes * 2))
        {
            double found = 0;
            for (int i = 0; i < queryIds.Length; i++)
            {
                ReadOnlySpan<float> query = queries.AsSpan(i * dimension, dimension);
                FaissHit[] hits;
                using (GalleryLocks.Scope? _ = shared ? reader.Guard() : null)
                {
                    hits = target.SearchBitmap(query, GallerySearcher.LossyCandidateFactor * (K + 1), null, probes)[0];
                }

                long self = queryIds[i];
                found += reader.Score(query, hits.Select(h => h.Id).Where(id => id != self))
                    .OrderByDescending(r => r.Score).Take(K).Count(r => truth[i].Contains(r.Id)) / (double)Math.Max(1, truth[i].Count);
            }

            double recall = found / queryIds.Length;
            if (recall >= Math.Min(1.0, targetRecall + 0.02) || probes >= maxProbes)
            {
                return (probes, recall);
            }
        }
    }
}
