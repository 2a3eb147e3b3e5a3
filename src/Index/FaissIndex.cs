using System.Runtime.InteropServices;
using SanReid.Index.Native;

namespace SanReid.Index;

/// <summary>One search result: a caller-assigned id and its inner-product score (cosine for unit vectors).</summary>
public readonly record struct FaissHit(long Id, float Score);

/// <summary>
/// A FAISS index with the inner-product metric and caller-chosen 64-bit ids, through the native shim
/// libsanreid_faiss.so (Debian libfaiss 1.7.3). Built from a FAISS factory string: "Flat" (exact), "IVF{nlist},Flat",
/// "HNSW{M}", "IVF{nlist},PQ{m}[x{nbits}]", checked by <see cref="FaissFactory.Parse"/> before FAISS sees it.
/// Flat and HNSW are wrapped in FAISS's IndexIDMap so ids are kept.
/// </summary>
/// <remarks>
/// Vectors are row-major float32 spans of n x <see cref="Dimension"/>. Searches never return FAISS's -1 "no result":
/// a search returns fewer than k hits when fewer vectors exist or pass the selection (or, for IVF/HNSW, when the
/// approximate search did not reach them). Concurrent searches are safe; mutation (train, add, remove, parameters)
/// must not overlap any other call. Dispose frees the native index.
/// </remarks>
public sealed class FaissIndex : IDisposable
{
    /// <summary>nprobe set on every new or loaded IVF index (FAISS's own default, 1, gives poor recall).</summary>
    public const int DefaultNprobe = 16;

    /// <summary>efSearch set on every new or loaded HNSW index (FAISS's own default is 16).</summary>
    public const int DefaultEfSearch = 64;

    /// <summary>Largest accepted <see cref="EfSearch"/> (each search keeps a candidate heap of that size).</summary>
    public const int MaxEfSearch = 4096;

    private readonly FaissIndexHandle handle;

    private FaissIndex(FaissIndexHandle handle)
    {
        this.handle = handle;
        Check(NativeMethods.Dimension(handle, out int dimension));
        Dimension = dimension;
        Check(NativeMethods.GetNlist(handle, out long nlist));
        if (nlist > 0)
        {
            Check(NativeMethods.SetNprobe(handle, Math.Min(DefaultNprobe, nlist)));
        }

        Check(NativeMethods.GetEfSearch(handle, out int efSearch));
        if (efSearch > 0)
        {
            Check(NativeMethods.SetEfSearch(handle, DefaultEfSearch));
        }
    }

    /// <summary>Version of the linked FAISS library, e.g. "1.7.3".</summary>
    public static string FaissVersion => Marshal.PtrToStringUTF8(NativeMethods.Version()) ?? "unknown";

    /// <summary>Vector dimension D.</summary>
    public int Dimension { get; }

    /// <summary>Number of vectors held.</summary>
    public long Count
    {
        get
        {
            Check(NativeMethods.Count(handle, out long count));
            return count;
        }
    }

    /// <summary>False for IVF/PQ indexes until <see cref="Train"/> ran; vectors cannot be added before.</summary>
    public bool IsTrained
    {
        get
        {
            Check(NativeMethods.IsTrained(handle, out int trained));
            return trained != 0;
        }
    }

    /// <summary>False for HNSW, which cannot remove vectors (callers exclude ids at search time or rebuild).</summary>
    public bool SupportsRemove
    {
        get
        {
            Check(NativeMethods.SupportsRemove(handle, out int supported));
            return supported != 0;
        }
    }

    /// <summary>
    /// Training vectors this index wants: 39 per k-means centroid (FAISS warns below that), 0 once trained or for
    /// indexes that need no training.
    /// </summary>
    public long MinTrainingPoints
    {
        get
        {
            Check(NativeMethods.MinTrainingPoints(handle, out long points));
            return points;
        }
    }

    /// <summary>Number of IVF lists (k-means centroids), or null for non-IVF indexes.</summary>
    public int? Nlist
    {
        get
        {
            Check(NativeMethods.GetNlist(handle, out long nlist));
            return nlist < 0 ? null : (int)nlist;
        }
    }

    /// <summary>IVF lists probed per query (1..<see cref="Nlist"/>; new indexes get min(<see cref="DefaultNprobe"/>,
    /// nlist)), or null for non-IVF indexes.</summary>
    /// <exception cref="NotSupportedException">Set on a non-IVF index.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1 or above <see cref="Nlist"/>.</exception>
    public int? Nprobe
    {
        get
        {
            Check(NativeMethods.GetNprobe(handle, out long nprobe));
            return nprobe < 0 ? null : (int)nprobe;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfLessThan(value.Value, 1);
            if (Nlist is { } nlist)
            {
                ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Value, nlist, nameof(Nprobe));
            }

            Check(NativeMethods.SetNprobe(handle, value.Value));
        }
    }

    /// <summary>HNSW search breadth (1..<see cref="MaxEfSearch"/>), or null for non-HNSW indexes.</summary>
    /// <exception cref="NotSupportedException">Set on a non-HNSW index.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Set below 1 or above <see cref="MaxEfSearch"/>.</exception>
    public int? EfSearch
    {
        get
        {
            Check(NativeMethods.GetEfSearch(handle, out int efSearch));
            return efSearch < 0 ? null : efSearch;
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfLessThan(value.Value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Value, MaxEfSearch, nameof(EfSearch));
            Check(NativeMethods.SetEfSearch(handle, value.Value));
        }
    }

    /// <summary>Builds an empty index from a FAISS factory string with the inner-product metric.</summary>
    /// <param name="factory">"Flat", "IVF{nlist},Flat", "HNSW{M}" or "IVF{nlist},PQ{m}[x{nbits}]"; see
    /// <see cref="FaissFactory"/> for the ranges. Checked before any native call.</param>
    /// <param name="dimension">Vector dimension D, positive.</param>
    /// <exception cref="ArgumentException">The factory string is not a supported form (message lists them).</exception>
    /// <exception cref="FaissException">FAISS refused the factory string (message names why).</exception>
    public static FaissIndex Create(string factory, int dimension)
    {
        FaissFactory.Parse(factory, dimension);
        Check(NativeMethods.Create(factory, dimension, out FaissIndexHandle handle));
        return new FaissIndex(handle);
    }

    /// <summary>Loads an index written by <see cref="Write"/>. Search parameters are reset to the defaults above.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FaissException">Not a FAISS index file, not inner product, an index without ids, or an id map
    /// whose length differs from the vector count (a damaged or crafted file).</exception>
    public static FaissIndex Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"FAISS index file '{path}' does not exist.", path);
        }

        Check(NativeMethods.Read(path, out FaissIndexHandle handle));
        return new FaissIndex(handle);
    }

    /// <summary>Writes the index (FAISS's own format) to <paramref name="path"/>, replacing any file there.</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Check(NativeMethods.Write(handle, path));
    }

    /// <summary>Trains an IVF/PQ index on n x D vectors (row-major); no-op cost for indexes that need none.</summary>
    /// <exception cref="ArgumentException">Length is not a positive multiple of D.</exception>
    public unsafe void Train(ReadOnlySpan<float> vectors)
    {
        long n = RowCount(vectors, nameof(vectors));
        ArgumentOutOfRangeException.ThrowIfZero(n, nameof(vectors));
        fixed (float* x = vectors)
        {
            Check(NativeMethods.Train(handle, n, x));
        }
    }

    /// <summary>Adds n x D vectors (row-major) under the n given ids.</summary>
    /// <exception cref="ArgumentException">Length is not a multiple of D, or ids.Length != n.</exception>
    /// <exception cref="FaissException">The index is not trained yet.</exception>
    public unsafe void Add(ReadOnlySpan<float> vectors, ReadOnlySpan<long> ids)
    {
        long n = RowCount(vectors, nameof(vectors));
        if (ids.Length != n)
        {
            throw new ArgumentException($"Got {n} vectors but {ids.Length} ids.", nameof(ids));
        }

        fixed (float* x = vectors)
        fixed (long* idPointer = ids)
        {
            Check(NativeMethods.AddWithIds(handle, n, x, idPointer));
        }
    }

    /// <summary>Top <paramref name="k"/> hits for one D-vector, scores descending.</summary>
    public FaissHit[] Search(ReadOnlySpan<float> query, int k) =>
        SearchSingle(query, k, NativeMethods.SelectAll, default);

    /// <summary>Top <paramref name="k"/> hits among <paramref name="allowedIds"/> only (an empty list gives none).</summary>
    public FaissHit[] SearchAllowed(ReadOnlySpan<float> query, int k, ReadOnlySpan<long> allowedIds) =>
        SearchSingle(query, k, NativeMethods.SelectAllow, allowedIds);

    /// <summary>Top <paramref name="k"/> hits among all ids except <paramref name="excludedIds"/>.</summary>
    public FaissHit[] SearchExcluding(ReadOnlySpan<float> query, int k, ReadOnlySpan<long> excludedIds) =>
        SearchSingle(query, k, NativeMethods.SelectDeny, excludedIds);

    /// <summary>Top <paramref name="k"/> hits for each of n row-major D-vectors, in one FAISS call (BLAS for n ≥ 20).</summary>
    /// <returns>n arrays, one per query, each with at most k hits, scores descending.</returns>
    public FaissHit[][] SearchBatch(ReadOnlySpan<float> queries, int k)
    {
        long n = RowCount(queries, nameof(queries));
        return SearchCore(queries, n, k, NativeMethods.SelectAll, default);
    }

    /// <summary>
    /// Top <paramref name="k"/> hits for each of n row-major D-vectors (one FAISS call), restricted to the ids whose bit
    /// is set in <paramref name="idBitmap"/> (bit id % 8 of byte id / 8; ids beyond its end are not selected; null = no
    /// restriction). <paramref name="nprobe"/> &gt; 0 overrides an IVF index's nprobe for this call (clamped to nlist).
    /// </summary>
    /// <returns>n arrays of at most k hits, scores descending.</returns>
    public unsafe FaissHit[][] SearchBitmap(ReadOnlySpan<float> queries, int k, byte[]? idBitmap, int nprobe = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(nprobe);
        long n = RowCount(queries, nameof(queries));
        if (idBitmap is { Length: 0 })
        {
            return [.. Enumerable.Range(0, (int)n).Select(_ => Array.Empty<FaissHit>())];
        }

        int kk = (int)Math.Min(k, Math.Max(Count, 1));
        var distances = new float[n * kk];
        var labels = new long[n * kk];
        fixed (float* x = queries)
        fixed (byte* bits = idBitmap)
        fixed (float* d = distances)
        fixed (long* l = labels)
        {
            Check(NativeMethods.SearchBitmap(handle, n, x, kk, bits, idBitmap?.Length ?? 0, nprobe, d, l));
        }

        return Collect(distances, labels, n, kk);
    }

    /// <summary>Removes every id whose bit is not set in <paramref name="keptIds"/>; returns how many were removed.</summary>
    /// <exception cref="NotSupportedException">HNSW indexes cannot remove.</exception>
    public unsafe long RemoveUnselected(ReadOnlySpan<byte> keptIds)
    {
        fixed (byte* bits = keptIds)
        {
            byte dummy = 0;
            byte* pointer = bits == null ? &dummy : bits;
            Check(NativeMethods.RemoveUnselected(handle, pointer, keptIds.Length, out long removed));
            return removed;
        }
    }

    /// <summary>Removes the given ids; returns how many were present.</summary>
    /// <exception cref="NotSupportedException">HNSW indexes cannot remove.</exception>
    public unsafe long Remove(ReadOnlySpan<long> ids)
    {
        fixed (long* idPointer = ids)
        {
            Check(NativeMethods.RemoveIds(handle, ids.Length, idPointer, out long removed));
            return removed;
        }
    }

    public void Dispose() => handle.Dispose();

    /// <summary>The one place native status codes become exceptions carrying the native message.</summary>
    internal static void Check(int status)
    {
        if (status == (int)FaissStatus.Ok)
        {
            return;
        }

        string message = Marshal.PtrToStringUTF8(NativeMethods.LastError()) ?? "no message";
        throw (FaissStatus)status switch
        {
            FaissStatus.NotSupported => new NotSupportedException(message),
            FaissStatus.OutOfMemory => new InsufficientMemoryException($"FAISS: {message}"),
            var known => new FaissException(known, $"FAISS: {message}"),
        };
    }

    private FaissHit[] SearchSingle(ReadOnlySpan<float> query, int k, int selection, ReadOnlySpan<long> selectionIds)
    {
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"Query has {query.Length} values; the index dimension is {Dimension}.", nameof(query));
        }

        return SearchCore(query, 1, k, selection, selectionIds)[0];
    }

    private unsafe FaissHit[][] SearchCore(ReadOnlySpan<float> queries, long n, int k, int selection, ReadOnlySpan<long> selectionIds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var results = new FaissHit[n][];
        long count = Count;
        if (n == 0)
        {
            return results;
        }

        // FAISS pads with -1 beyond what exists; asking for fewer keeps buffers small and nothing is lost.
        int kk = (int)Math.Min(k, Math.Max(count, 1));
        var distances = new float[n * kk];
        var labels = new long[n * kk];
        fixed (float* x = queries)
        fixed (long* selected = selectionIds)
        fixed (float* d = distances)
        fixed (long* l = labels)
        {
            Check(NativeMethods.Search(handle, n, x, kk, selection, selected, selectionIds.Length, d, l));
        }

        return Collect(distances, labels, n, kk);
    }

    private static FaissHit[][] Collect(float[] distances, long[] labels, long n, int kk)
    {
        var results = new FaissHit[n][];
        for (long q = 0; q < n; q++)
        {
            var hits = new List<FaissHit>(kk);
            for (long j = q * kk; j < (q + 1) * kk; j++)
            {
                if (labels[j] >= 0)
                {
                    hits.Add(new FaissHit(labels[j], distances[j]));
                }
            }

            results[q] = [.. hits];
        }

        return results;
    }

    private long RowCount(ReadOnlySpan<float> vectors, string parameterName)
    {
        if (vectors.Length % Dimension != 0)
        {
            throw new ArgumentException(
                $"Got {vectors.Length} values, not a multiple of the dimension {Dimension}.", parameterName);
        }

        return vectors.Length / Dimension;
    }
}
