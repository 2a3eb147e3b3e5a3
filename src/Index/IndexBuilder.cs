namespace SanReid.Index;

/// <summary>
/// Builds a FAISS index from the store's memory: trains it on an even sample of the live rows (IVF k-means: 64 points
/// per list, at least FAISS's 39), fills it with the live rows below a snapshot, chunk by chunk, and calibrates nprobe
/// (<see cref="NprobeCalibrator"/>). The index is not shared while it is built, so FAISS works outside every lock;
/// only the chunk copies read the store's memory (<see cref="GalleryRows"/>).
/// </summary>
internal static class IndexBuilder
{
    /// <param name="target">Factory string (checked by <see cref="FaissFactory"/>).</param>
    /// <param name="reader">The store's rows (under read-lock holds, or none when the caller holds the write lock).</param>
    /// <param name="rows">Snapshot: rows below it are covered; later adds are the caller's to catch up.</param>
    /// <param name="targetRecall">Recall@10 nprobe is calibrated to.</param>
    /// <param name="beforeBuild">Test seam: runs first, off-lock in background builds; may throw or block.</param>
    /// <returns>The filled index, its nprobe and calibrated recall (null for non-IVF). The caller owns the index.</returns>
    /// <exception cref="FaissException">FAISS failed (the index is disposed).</exception>
    public static (FaissIndex Index, int? Nprobe, double? Recall) Build(
        string target, GalleryRows reader, int rows, double targetRecall, Action<string>? beforeBuild)
    {
        beforeBuild?.Invoke(target);
        FaissIndex built = FaissIndex.Create(target, reader.Dimension);
        try
        {
            if (!built.IsTrained)
            {
                long wanted = Math.Max(built.MinTrainingPoints, 64L * (built.Nlist ?? 1));
                built.Train(reader.Sample(rows, wanted));
            }

            for (int start = 0; start < rows; start += GalleryRows.Chunk)
            {
                (ReadOnlyMemory<long> ids, ReadOnlyMemory<float> vectors) = reader.Copy(start, Math.Min(rows, start + GalleryRows.Chunk));
                if (ids.Length > 0)
                {
                    built.Add(vectors.Span, ids.Span);
                }
            }

            (int? probes, double? recall) = NprobeCalibrator.Calibrate(
                built, reader, rows, startProbes: 1, maxProbes: built.Nlist ?? 1, shared: false, targetRecall);
            if (probes is { } p)
            {
                built.Nprobe = p;
            }

            return (built, probes, recall);
        }
        catch
        {
            built.Dispose();
            throw;
        }
    }
}
