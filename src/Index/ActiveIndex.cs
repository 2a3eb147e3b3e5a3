namespace SanReid.Index;

/// <summary>
/// The FAISS index a <see cref="GalleryStore"/> searches now, with what was measured about it. Replaced as a whole
/// (one reference swap under the store's write lock) when a build finishes; the store disposes the old one.
/// </summary>
/// <remarks>Mutated (add, remove, <see cref="Nprobe"/>, <see cref="Tombstones"/>) only under the store's write lock;
/// searched under its read lock.</remarks>
internal sealed class ActiveIndex(FaissIndex index, string factory, int? nprobe, double? recall, long builtFor, bool lossy) : IDisposable
{
    public FaissIndex Index { get; } = index;

    /// <summary>Factory string it was built from, e.g. "IVF2048,SQ8".</summary>
    public string Factory { get; } = factory;

    /// <summary>IVF lists probed per query (calibrated), or null for non-IVF indexes.</summary>
    public int? Nprobe { get; set; } = nprobe;

    /// <summary>Recall@10 measured when <see cref="Nprobe"/> was chosen, or null.</summary>
    public double? CalibratedRecall { get; set; } = recall;

    /// <summary>Live items when it was built (or, for a loaded file, when the file was written).</summary>
    public long BuiltFor { get; } = builtFor;

    /// <summary>Live items when <see cref="Nprobe"/> was last calibrated.</summary>
    public long CalibratedFor { get; set; } = builtFor;

    /// <summary>Codes approximate the vectors (SQ, PQ): candidates are re-scored exactly from the arena.</summary>
    public bool Lossy { get; } = lossy;

    /// <summary>Deleted ids still in an index that cannot remove them (HNSW), excluded at search time.</summary>
    public HashSet<long> Tombstones { get; init; } = [];

    public void Dispose() => Index.Dispose();
}
