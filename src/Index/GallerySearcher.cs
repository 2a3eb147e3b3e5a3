namespace SanReid.Index;

/// <summary>
/// Top-k for one query over the store's memory: filters evaluated in <see cref="GalleryCatalog"/>, candidates from the
/// <see cref="ActiveIndex"/> (FAISS, with an id bitmap for large selections) re-scored exactly from the
/// <see cref="VectorArena"/>, or an exact scan for small selections and when the index missed qualifying items.
/// </summary>
/// <remarks>The caller holds the store's read lock for the whole call. Scores are exact inner products of unit vectors
/// (cosines), whatever the index's codes.</remarks>
internal sealed class GallerySearcher(GalleryCatalog catalog, VectorArena arena, SearchBatcher batcher, GalleryStoreOptions options)
{
    /// <summary>Candidates fetched per requested hit from a lossy (SQ, PQ) index before exact re-scoring.</summary>
    public const int LossyCandidateFactor = 4;

    /// <summary>The best min(k, qualifying) (position, exact score), score descending then id ascending.</summary>
    public (int Position, float Score)[] TopK(ActiveIndex? active, float[] q, int k, GalleryFilter? filter)
    {
        if (catalog.Count == 0)
        {
            return [];
        }

        // Without an index every selection is scored exactly, so its positions are always wanted; with one, only small
        // selections are (larger ones become an id bitmap for FAISS).
        GalleryCatalog.Selection? selection = HasConstraints(filter)
            ? catalog.Evaluate(filter!, active is null ? int.MaxValue : options.ExactSelectionLimit, bitmap: active is not null)
            : null;
        long qualifying = selection?.Count ?? catalog.Count;
        if (qualifying == 0)
        {
            return [];
        }

        int wanted = (int)Math.Min(k, qualifying);
        if (active is null || selection?.Positions is not null)
        {
            // No index (exact gallery) or a small selection (one camera, one hour): exact over exactly those items.
            return ExactSearch.TopK(arena, q, selection?.Positions ?? catalog.AlivePositions(), wanted);
        }

        FaissIndex index = active.Index;
        int candidates = (int)Math.Min(active.Lossy ? (long)wanted * LossyCandidateFactor : wanted, qualifying + active.Tombstones.Count);
        FaissHit[] hits;
        if (selection is not null)
        {
            // Only `selectivity` of every probed list qualifies: probe proportionally more lists to see as many.
            int probes = active.Nprobe is { } np ? (int)Math.Min(int.MaxValue, Math.Ceiling(np * (double)catalog.Count / selection.Count)) : 0;
            hits = index.SearchBitmap(q, candidates, selection.Bitmap, probes)[0];
        }
        else if (active.Tombstones.Count > 0)
        {
            hits = index.SearchBitmap(q, candidates, catalog.AliveBitmap)[0];
        }
        else if (options.BatchSearches)
        {
            hits = batcher.Search(index, q, candidates);
        }
        else
        {
            hits = index.SearchBitmap(q, candidates, null)[0];
        }

        var rescored = new List<(int Position, float Score)>(hits.Length);
        foreach (FaissHit hit in hits)
        {
            if (catalog.TryGetPosition(hit.Id, out int position))
            {
                rescored.Add((position, arena.Dot(q, position)));
            }
        }

        if (rescored.Count < wanted)
        {
            // The approximate index missed qualifying items (few lists probed, HNSW graph cut by the filter).
            int[] positions = selection is null ? catalog.AlivePositions() : catalog.Select(filter!);
            return ExactSearch.TopK(arena, q, positions, wanted);
        }

        rescored.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : catalog.IdAt(a.Position).CompareTo(catalog.IdAt(b.Position)));
        return [.. rescored.Take(wanted)];
    }

    public static bool HasConstraints(GalleryFilter? filter) =>
        filter is not null && (filter.IncludeCameras is { Count: > 0 } || filter.ExcludeCameras is { Count: > 0 }
            || filter.CapturedFrom is not null || filter.CapturedTo is not null || filter.Label is not null);
}
