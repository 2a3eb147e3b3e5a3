namespace SanReid.Index;

/// <summary>
/// How an index build or a calibration reads the store's memory: in copies of at most <see cref="Chunk"/> rows, each
/// under one hold of the read lock (or under none when the caller already holds the write lock or nothing is shared
/// yet), so that adds and deletes wait at most for one chunk copy, never for training or filling an index.
/// </summary>
/// <remarks>Rows below the build's snapshot keep their items while a build runs (<see cref="GalleryCatalog.FreezeReuse"/>),
/// so positions read in one chunk stay meaningful in the next.</remarks>
internal sealed class GalleryRows(GalleryLocks locks, GalleryCatalog catalog, VectorArena arena, bool lockHeld)
{
    /// <summary>Rows copied per read-lock hold (8 MiB at D = 512).</summary>
    public const int Chunk = 4_096;

    public int Dimension => arena.Dimension;

    /// <summary>Positions allocated now (the snapshot a build covers).</summary>
    public int Rows
    {
        get
        {
            using GalleryLocks.Scope? _ = Guard();
            return catalog.Rows;
        }
    }

    /// <summary>The read lock, or nothing when the caller already excludes writers.</summary>
    public GalleryLocks.Scope? Guard() => lockHeld ? null : locks.Read();

    private long[] idBuffer = [];
    private float[] rowBuffer = [];

    /// <summary>Ids and vectors of the live rows in [start, end), in buffers this reader reuses at its next call (so a
    /// build copying a million rows makes no large-object garbage): valid until then.</summary>
    public (ReadOnlyMemory<long> Ids, ReadOnlyMemory<float> Vectors) Copy(int start, int end)
    {
        if (idBuffer.Length < end - start)
        {
            idBuffer = new long[end - start];
            rowBuffer = new float[(end - start) * Dimension];
        }

        int count = 0;
        using GalleryLocks.Scope? _ = Guard();
        for (int p = start; p < end; p++)
        {
            if (catalog.IsAlive(p))
            {
                arena.Row(p).CopyTo(rowBuffer.AsSpan(count * Dimension));
                idBuffer[count++] = catalog.IdAt(p);
            }
        }

        return (idBuffer.AsMemory(0, count), rowBuffer.AsMemory(0, count * Dimension));
    }

    /// <summary>Positions of the live rows below <paramref name="rows"/>.</summary>
    public int[] Live(int rows)
    {
        using GalleryLocks.Scope? _ = Guard();
        return [.. catalog.AlivePositions().Where(p => p < rows)];
    }

    /// <summary>Live rows below <paramref name="rows"/> at an even stride, at most <paramref name="wanted"/>, as one
    /// row-major array (a k-means training sample).</summary>
    public float[] Sample(int rows, long wanted)
    {
        int[] live = Live(rows);
        int take = (int)Math.Min(live.Length, wanted);
        var sample = new float[take * Dimension];
        for (int start = 0; start < take; start += Chunk)
        {
            using GalleryLocks.Scope? _ = Guard();
            for (int i = start; i < Math.Min(take, start + Chunk); i++)
            {
                arena.Row(live[(int)((long)i * live.Length / take)]).CopyTo(sample.AsSpan(i * Dimension));
            }
        }

        return sample;
    }

    /// <summary>Ids and rows of the given positions (read under one hold).</summary>
    public (long[] Ids, float[] Vectors) CopyPositions(IReadOnlyList<int> positions)
    {
        using GalleryLocks.Scope? _ = Guard();
        var ids = new long[positions.Count];
        var vectors = new float[positions.Count * Dimension];
        for (int i = 0; i < positions.Count; i++)
        {
            ids[i] = catalog.IdAt(positions[i]);
            arena.Row(positions[i]).CopyTo(vectors.AsSpan(i * Dimension));
        }

        return (ids, vectors);
    }

    /// <summary>Exact scores of a query against the given ids that are still live (others are left out).</summary>
    public List<(long Id, float Score)> Score(ReadOnlySpan<float> query, IEnumerable<long> ids)
    {
        using GalleryLocks.Scope? _ = Guard();
        var scored = new List<(long, float)>();
        foreach (long id in ids)
        {
            if (catalog.TryGetPosition(id, out int p))
            {
                scored.Add((id, arena.Dot(query, p)));
            }
        }

        return scored;
    }
}
