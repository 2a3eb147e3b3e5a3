using System.Numerics.Tensors;

namespace SanReid.Index;

/// <summary>Where and how a <see cref="GalleryStore"/> keeps its data.</summary>
public sealed record GalleryStoreOptions
{
    /// <summary>SQLite database file (created if missing). The durable copy of every embedding and its metadata.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>Embedding dimension D; every added vector must have it. A database made with another D is refused.</summary>
    public required int Dimension { get; init; }
    /// <summary>FAISS factory string, inner product metric: "Flat", "IVF{n},Flat", "HNSW{m}", "IVF{n},PQ{m}[x{nbits}]"
    /// (ranges: <see cref="FaissFactory"/>).</summary>
    public string IndexFactory { get; init; } = "Flat";
    /// <summary>
    /// Identifies the model whose embeddings the gallery holds (e.g. the ONNX file's name and SHA-256). Scores between
    /// two models' embeddings mean nothing, so a non-empty database filled by another model is refused
    /// (<see cref="GalleryModelMismatchException"/>). Null: not checked and not recorded.
    /// </summary>
    public string? EmbeddingModel { get; init; }
}

/// <summary>The gallery database holds embeddings of another model than the one it was opened with.</summary>
public sealed class GalleryModelMismatchException(string databasePath, string storedModel, string requestedModel, long items)
    : Exception($"Gallery database '{databasePath}' holds {items} embedding(s) of model '{storedModel}', not of '{requestedModel}'. " +
                "Embeddings of different models are not comparable: use another database file for this model, " +
                "or the model that filled it.")
{
    /// <summary>The model recorded in the database.</summary>
    public string StoredModel { get; } = storedModel;
    /// <summary>The model the store was opened with.</summary>
    public string RequestedModel { get; } = requestedModel;
}

/// <summary>
/// The gallery: SQLite holds embeddings + metadata durably, FAISS is the search structure rebuilt from it at open.
/// Thread-safe. Dispose closes both.
/// </summary>
/// <remarks>
/// <para>Embeddings are float32 vectors of <see cref="Dimension"/> values with L2 norm 1 (± 1e-3), as the model
/// contract (DESIGN.md) produces them; they and queries are rescaled to unit norm, and scores are inner products =
/// cosine similarity, clamped to [-1, 1].</para>
/// <para>Index types that need training (IVF, PQ) are trained on the stored vectors once the gallery holds
/// <see cref="FaissIndex.MinTrainingPoints"/> of them (39 per k-means centroid); until then the store searches an
/// exact Flat index, which is both correct and fast at that size. <see cref="ActiveIndexFactory"/> says which is in use.
/// HNSW cannot remove vectors: deleted ids are excluded at search time and the graph is rebuilt from SQLite once a
/// quarter of it is deleted (and at every open).</para>
/// <para>Search never silently returns fewer matches than qualify: when an approximate index (IVF, HNSW) returns
/// fewer than min(k, qualifying items) hits for a filter, the store scores the qualifying items exactly instead.
/// Every returned score is recomputed exactly from the stored embedding, so lossy PQ codes only choose candidates.</para>
/// <para>Concurrency: searches and reads run in parallel; add and delete take an exclusive lock. One store owns its
/// database file: <see cref="Open(GalleryStoreOptions)"/> takes an exclusive OS lock on "&lt;database&gt;.lock" for the store's life, so a
/// second store on the same file (in this or another process) is refused instead of silently diverging.</para>
/// <para>Index failures never undo committed data: when training or rebuilding the configured index fails after an
/// add or delete was committed (or at open), the store keeps searching the exact index it has (Flat, or the old
/// one) and records why in <see cref="LastIndexError"/>; the configured index is tried again at the next open.</para>
/// </remarks>
public sealed class GalleryStore : IDisposable
{
    /// <summary>Largest deviation from 1 allowed in an embedding's L2 norm.</summary>
    public const float NormTolerance = 1e-3f;

    /// <summary>Candidates fetched per requested hit from a lossy (PQ) index before exact re-scoring.</summary>
    private const int LossyCandidateFactor = 4;

    /// <summary>Norm deviation below which a vector is stored as given (float32 normalisation leaves a few ulps).</summary>
    private const float RenormaliseAbove = 1e-6f;

    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private readonly GalleryDatabase database;
    private readonly FileStream ownership;
    private readonly FaissFactory factory;
    private readonly HashSet<long> tombstones = [];
    private readonly long configuredTrainingPoints;
    private readonly Action<string>? beforeIndexBuild;
    private FaissIndex index;
    private long count;
    private bool configuredIndexFailed;
    private string? lastIndexError;
    private bool disposed;

    private GalleryStore(
        GalleryStoreOptions options, FaissFactory factory, GalleryDatabase database, FileStream ownership,
        long configuredTrainingPoints, Action<string>? beforeIndexBuild)
    {
        Options = options;
        this.factory = factory;
        this.database = database;
        this.ownership = ownership;
        this.configuredTrainingPoints = configuredTrainingPoints;
        this.beforeIndexBuild = beforeIndexBuild;
        index = BuildIndex(out string active);
        ActiveIndexFactory = active;
    }

    /// <summary>The options the store was opened with.</summary>
    public GalleryStoreOptions Options { get; }

    /// <summary>Embedding dimension D.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>The FAISS factory string searched now: <see cref="GalleryStoreOptions.IndexFactory"/>, or "Flat" while
    /// too few items are stored to train it (or after building it failed: <see cref="LastIndexError"/>).</summary>
    public string ActiveIndexFactory { get; private set; }

    /// <summary>
    /// Why the last build of the configured index failed (exception type and message), or null when none failed since
    /// open. Searches stay correct meanwhile: the store searches the exact Flat index (or the index it had).
    /// </summary>
    public string? LastIndexError
    {
        get
        {
            using var _ = ReadLock();
            return lastIndexError;
        }
    }

    /// <summary>Number of stored items.</summary>
    public long Count
    {
        get
        {
            using var _ = ReadLock();
            return count;
        }
    }

    /// <summary>Opens (or creates) the store, takes ownership of the database file and loads FAISS from SQLite.</summary>
    /// <exception cref="ArgumentException">Empty path, non-positive dimension, an unsupported factory string (the
    /// message lists the supported forms, <see cref="FaissFactory"/>), or a database holding embeddings of another
    /// dimension.</exception>
    /// <exception cref="InvalidDataException">The file is not a SQLite gallery database, or a stored embedding does not
    /// have <see cref="GalleryStoreOptions.Dimension"/> float32 values (the message names the item id).</exception>
    /// <exception cref="IOException">The path is a directory or cannot be opened for writing, or the database is
    /// already open in another <see cref="GalleryStore"/> (this or another process).</exception>
    /// <exception cref="GalleryModelMismatchException">The database holds embeddings of another <see cref="GalleryStoreOptions.EmbeddingModel"/>.</exception>
    public static GalleryStore Open(GalleryStoreOptions options) => Open(options, beforeIndexBuild: null);

    /// <summary><see cref="Open(GalleryStoreOptions)"/> with a test seam: <paramref name="beforeIndexBuild"/> runs
    /// (with the factory string) before every build of a non-Flat index, and may throw to simulate a FAISS failure.</summary>
    internal static GalleryStore Open(GalleryStoreOptions options, Action<string>? beforeIndexBuild)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Dimension, 1, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.IndexFactory, nameof(options));

        // The allow-list runs before any native call: FAISS crashes the process on some factory strings it accepts.
        FaissFactory factory = FaissFactory.Parse(options.IndexFactory, options.Dimension);
        long trainingPoints;
        try
        {
            using FaissIndex probe = FaissIndex.Create(options.IndexFactory, options.Dimension);
            trainingPoints = probe.MinTrainingPoints;
        }
        catch (FaissException e)
        {
            throw new ArgumentException($"FAISS refused the index factory '{options.IndexFactory}': {e.Message}", nameof(options), e);
        }

        string fullPath = Path.GetFullPath(options.DatabasePath);
        if (File.Exists(fullPath) && new FileInfo(fullPath).ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            // A symlink to the database: lock (and open) the real file, so both spellings meet the same lock.
            fullPath = target.FullName;
        }

        if (Directory.Exists(fullPath))
        {
            throw new IOException($"Gallery database '{fullPath}' is a directory; give the path of a database file.");
        }

        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        FileStream ownership = TakeOwnership(fullPath, out bool createdLockFile);
        GalleryDatabase? database = null;
        try
        {
            database = GalleryDatabase.Open(fullPath, options.Dimension, options.IndexFactory, options.EmbeddingModel);
            return new GalleryStore(options, factory, database, ownership, trainingPoints, beforeIndexBuild);
        }
        catch
        {
            database?.ClearPool();
            if (createdLockFile && database is null)
            {
                // Nothing usable was there (e.g. a device or an unwritable path): leave no lock file behind.
                TryDelete(LockPath(fullPath));
            }

            ownership.Dispose();

            throw;
        }
    }

    /// <summary>Adds items atomically (all or none); returns them with their new ids, in input order.</summary>
    /// <remarks>Each embedding is stored rescaled to unit norm (bit-identical when its norm is already within 1e-6 of
    /// 1), so scores of stored vectors stay cosines in [-1, 1]. Once the rows are committed nothing throws: a failure
    /// to train or rebuild the configured index leaves the exact index in use (<see cref="LastIndexError"/>).</remarks>
    /// <exception cref="ArgumentException">Wrong dimension, non-finite values, or L2 norm off 1 by more than <see cref="NormTolerance"/>.</exception>
    /// <exception cref="DuplicateExternalIdException">An external id already exists.</exception>
    public IReadOnlyList<GalleryItem> Add(IReadOnlyList<NewGalleryItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var externalIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            NewGalleryItem item = items[i] ?? throw new ArgumentException($"Item {i} is null.", nameof(items));
            ValidateEmbedding(item.Embedding, $"Item {i}'s embedding", nameof(items));
            if (item.ExternalId is { } externalId && !externalIds.Add(externalId))
            {
                throw new DuplicateExternalIdException(externalId);
            }
        }

        if (items.Count == 0)
        {
            return [];
        }

        using var _ = WriteLock();
        var vectors = new float[items.Count * Dimension];
        for (int i = 0; i < items.Count; i++)
        {
            Span<float> row = vectors.AsSpan(i * Dimension, Dimension);
            items[i].Embedding.CopyTo(row);
            Renormalise(row);
        }

        bool addedToIndex = false;
        long[] newIds = [];
        IReadOnlyList<GalleryItem> stored;
        try
        {
            stored = database.Insert(items, vectors, DateTimeOffset.UtcNow, ids =>
            {
                index.Add(vectors, ids);
                newIds = ids;
                addedToIndex = true;
            });
        }
        catch when (addedToIndex)
        {
            // The FAISS add succeeded but the commit did not: take the vectors out again so both halves agree.
            ForgetInIndex(newIds);
            throw;
        }

        // Committed: from here on nothing may throw (the items are stored and the current index holds them).
        count += stored.Count;
        if (ActiveIndexFactory != Options.IndexFactory && !configuredIndexFailed && count >= configuredTrainingPoints)
        {
            Rebuild();
        }

        return stored;
    }

    /// <summary>The item with this id, or null.</summary>
    public GalleryItem? Get(long id)
    {
        using var _ = ReadLock();
        return database.Get(id);
    }

    /// <summary>The stored embedding of this id, or null.</summary>
    public float[]? GetEmbedding(long id)
    {
        using var _ = ReadLock();
        return database.GetEmbedding(id);
    }

    /// <summary>Items with id greater than <paramref name="afterId"/>, at most <paramref name="limit"/>, filtered.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> outside 1..10,000 or negative afterId.</exception>
    public GalleryPage List(GalleryFilter? filter = null, long afterId = 0, int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        ArgumentOutOfRangeException.ThrowIfNegative(afterId);
        ValidateFilter(filter);
        using var _ = ReadLock();
        return database.List(filter, afterId, limit);
    }

    /// <summary>Deletes an item; false when it did not exist. Never throws once the row is deleted.</summary>
    public bool Delete(long id)
    {
        using var _ = WriteLock();
        if (!database.Delete(id))
        {
            return false;
        }

        count--;
        try
        {
            ForgetInIndex([id]);
        }
        catch (Exception e)
        {
            // Committed: exclude the id at search time instead (works for every index type).
            tombstones.Add(id);
            lastIndexError = $"Removing id {id} from the {ActiveIndexFactory} index failed; it is excluded at search " +
                $"time instead. {e.GetType().Name}: {e.Message}";
        }

        if (tombstones.Count > 0 && tombstones.Count * 4 > index.Count)
        {
            Rebuild();
        }

        return true;
    }

    /// <summary>
    /// The top <paramref name="k"/> items by cosine score, descending, that pass <paramref name="filter"/> and have
    /// score ≥ <paramref name="minScore"/>. Returns fewer than k only when fewer items qualify.
    /// </summary>
    /// <param name="query">Unit-norm embedding of <see cref="Dimension"/> values.</param>
    /// <param name="k">Matches wanted, ≥ 1; more than the gallery holds returns all of it.</param>
    /// <param name="filter">Camera, time and label constraints; null for none.</param>
    /// <param name="minScore">Lowest score returned (inclusive); null for none.</param>
    /// <exception cref="ArgumentException">Wrong dimension, non-finite or non-unit query, or NaN minScore.</exception>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1.</exception>
    public IReadOnlyList<GalleryMatch> Search(ReadOnlySpan<float> query, int k, GalleryFilter? filter = null, float? minScore = null)
    {
        ValidateEmbedding(query, "The query", nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (minScore is { } m && float.IsNaN(m))
        {
            throw new ArgumentException("minScore is NaN.", nameof(minScore));
        }

        ValidateFilter(filter);
        float[] q = query.ToArray();
        Renormalise(q);
        using var _ = ReadLock();
        if (count == 0)
        {
            return [];
        }

        long[]? allowed = HasConstraints(filter) ? database.SelectIds(filter) : null;
        long qualifying = allowed?.LongLength ?? count;
        if (qualifying == 0)
        {
            return [];
        }

        int wanted = (int)Math.Min(k, qualifying);
        int candidates = ActiveIndexFactory == Options.IndexFactory && factory.IsLossy ? (int)Math.Min((long)wanted * LossyCandidateFactor, qualifying) : wanted;
        FaissHit[] hits = allowed is not null ? index.SearchAllowed(q, candidates, allowed)
            : tombstones.Count > 0 ? index.SearchExcluding(q, candidates, [.. tombstones])
            : index.Search(q, candidates);

        List<GalleryMatch> matches = Rescore(q, hits.Select(h => h.Id).ToArray());
        if (matches.Count < wanted)
        {
            // The approximate index missed qualifying items (small IVF lists probed, HNSW graph cut by the filter).
            matches = ExactTopK(q, wanted, filter);
        }

        IEnumerable<GalleryMatch> ranked = matches.Take(wanted);
        if (minScore is { } min)
        {
            ranked = ranked.TakeWhile(match => match.Score >= min);
        }

        return ranked.ToList();
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        gate.EnterWriteLock();
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            index.Dispose();
            database.ClearPool();
            ownership.Dispose();
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    private static bool HasConstraints(GalleryFilter? filter) =>
        filter is not null && (filter.IncludeCameras is { Count: > 0 } || filter.ExcludeCameras is { Count: > 0 }
            || filter.CapturedFrom is not null || filter.CapturedTo is not null || filter.Label is not null);

    private static string LockPath(string databasePath) => databasePath + ".lock";

    /// <summary>
    /// Opens "&lt;database&gt;.lock" with FileShare.None, which .NET implements on Linux/macOS with flock(LOCK_EX): held
    /// until the stream is disposed (or the process dies), refused to every other open in any process. The file
    /// itself stays (deleting lock files races with other openers).
    /// </summary>
    private static FileStream TakeOwnership(string databasePath, out bool created)
    {
        string lockPath = LockPath(databasePath);
        created = !File.Exists(lockPath);
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException(
                $"Gallery database '{databasePath}' cannot be opened: its lock file '{lockPath}' cannot be created " +
                $"or opened ({e.Message}). The directory must be writable.", e);
        }
        catch (IOException e) when (File.Exists(lockPath))
        {
            throw new IOException(
                $"Gallery database '{databasePath}' is already open in another GalleryStore (in this or another " +
                $"process; lock file '{lockPath}': {e.Message}). One store owns a database file: share that store, or " +
                "stop the other process.", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Scales a finite, nearly unit vector to unit L2 norm, so inner products of stored vectors never exceed 1
    /// by more than float rounding; vectors already within <see cref="RenormaliseAbove"/> of 1 are left bit-identical.</summary>
    private static void Renormalise(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (Math.Abs(norm - 1f) > RenormaliseAbove && norm > 0f)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static void ValidateFilter(GalleryFilter? filter)
    {
        if (filter is { CapturedFrom: { } from, CapturedTo: { } to } && to < from)
        {
            throw new ArgumentException($"The time window ends ({to:O}) before it starts ({from:O}).", nameof(filter));
        }
    }

    private void ValidateEmbedding(ReadOnlySpan<float> embedding, string what, string parameterName)
    {
        if (embedding.Length != Dimension)
        {
            throw new ArgumentException($"{what} has {embedding.Length} values; the gallery stores {Dimension}-dimensional embeddings.", parameterName);
        }

        foreach (float value in embedding)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"{what} contains a non-finite value ({value}).", parameterName);
            }
        }

        float norm = TensorPrimitives.Norm(embedding);
        if (Math.Abs(norm - 1f) > NormTolerance)
        {
            throw new ArgumentException(
                $"{what} has L2 norm {norm}; the gallery stores unit vectors (score = inner product = cosine).", parameterName);
        }
    }

    /// <summary>Exact scores for candidate ids that still exist in SQLite, descending (ties by id).</summary>
    private List<GalleryMatch> Rescore(float[] query, long[] ids)
    {
        Dictionary<long, (GalleryItem Item, float[] Embedding)> rows = database.GetWithEmbeddings(ids);
        var matches = new List<GalleryMatch>(rows.Count);
        foreach ((GalleryItem item, float[] embedding) in rows.Values)
        {
            // Cosine of unit vectors; float rounding can overshoot 1 by an ulp or two, which callers must never see.
            matches.Add(new GalleryMatch(item, Math.Clamp(TensorPrimitives.Dot(query, embedding), -1f, 1f)));
        }

        matches.Sort(CompareMatches);
        return matches;
    }

    /// <summary>Brute force over the qualifying rows in SQLite: the fallback that makes filtered search complete.</summary>
    private List<GalleryMatch> ExactTopK(float[] query, int k, GalleryFilter? filter)
    {
        // Min-heap of the best k so far: the root is the weakest kept score.
        var best = new PriorityQueue<long, (float Score, long Id)>(k + 1, Comparer<(float Score, long Id)>.Create(
            (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Id.CompareTo(a.Id)));
        foreach ((long id, float[] embedding) in database.ScanEmbeddings(filter))
        {
            best.Enqueue(id, (TensorPrimitives.Dot(query, embedding), id));
            if (best.Count > k)
            {
                best.Dequeue();
            }
        }

        var ids = new long[best.Count];
        for (int i = 0; best.TryDequeue(out long id, out _); i++)
        {
            ids[i] = id;
        }

        return Rescore(query, ids);
    }

    private static int CompareMatches(GalleryMatch a, GalleryMatch b) =>
        a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.Id.CompareTo(b.Item.Id);

    private void ForgetInIndex(long[] ids)
    {
        if (index.SupportsRemove)
        {
            index.Remove(ids);
        }
        else
        {
            tombstones.UnionWith(ids);
        }
    }

    /// <summary>
    /// Replaces the FAISS index with one rebuilt from SQLite. Runs after a commit (caller holds the write lock), so it
    /// never throws: if even the rebuild fails, the current index (which holds every committed vector, with deleted
    /// ones tombstoned or removed) stays in use and <see cref="LastIndexError"/> says why.
    /// </summary>
    private void Rebuild()
    {
        FaissIndex rebuilt;
        string active;
        try
        {
            rebuilt = BuildIndex(out active);
        }
        catch (Exception e)
        {
            lastIndexError = $"Rebuilding the index from the database failed; the previous {ActiveIndexFactory} index " +
                $"stays in use. {e.GetType().Name}: {e.Message}";
            return;
        }

        FaissIndex old = index;
        index = rebuilt;
        ActiveIndexFactory = active;
        tombstones.Clear();
        old.Dispose();
    }

    /// <summary>
    /// Builds the configured index from every stored vector, or an exact Flat one while too few are stored to train it
    /// or when building the configured one failed (recorded in <see cref="lastIndexError"/>; not retried until the
    /// next open, so one bad training does not repeat on every add).
    /// </summary>
    /// <exception cref="InvalidDataException">A stored embedding is damaged.</exception>
    private FaissIndex BuildIndex(out string active)
    {
        var ids = new List<long>();
        var vectors = new List<float>();
        foreach ((long id, float[] embedding) in database.ScanEmbeddings(null))
        {
            ids.Add(id);
            vectors.AddRange(embedding);
        }

        count = ids.Count;
        float[] data = [.. vectors];
        long[] idArray = [.. ids];
        if (factory.Kind != FaissIndexKind.Flat && !configuredIndexFailed && ids.Count >= configuredTrainingPoints)
        {
            try
            {
                active = Options.IndexFactory;
                return Build(Options.IndexFactory, data, idArray);
            }
            catch (Exception e)
            {
                configuredIndexFailed = true;
                lastIndexError = $"Building the {Options.IndexFactory} index from {ids.Count} vectors failed; the exact " +
                    $"Flat index is searched instead until the next open. {e.GetType().Name}: {e.Message}";
            }
        }

        active = "Flat";
        return Build(active, data, idArray);
    }

    private FaissIndex Build(string factoryText, float[] data, long[] ids)
    {
        if (factoryText != "Flat")
        {
            beforeIndexBuild?.Invoke(factoryText);
        }

        FaissIndex built = FaissIndex.Create(factoryText, Dimension);
        try
        {
            if (!built.IsTrained)
            {
                built.Train(data);
            }

            if (ids.Length > 0)
            {
                built.Add(data, ids);
            }

            return built;
        }
        catch
        {
            built.Dispose();
            throw;
        }
    }

    private LockScope ReadLock()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        gate.EnterReadLock();
        if (disposed)
        {
            gate.ExitReadLock();
            throw new ObjectDisposedException(nameof(GalleryStore));
        }

        return new LockScope(gate, write: false);
    }

    private LockScope WriteLock()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        gate.EnterWriteLock();
        if (disposed)
        {
            gate.ExitWriteLock();
            throw new ObjectDisposedException(nameof(GalleryStore));
        }

        return new LockScope(gate, write: true);
    }

    private readonly struct LockScope(ReaderWriterLockSlim gate, bool write) : IDisposable
    {
        public void Dispose()
        {
            if (write)
            {
                gate.ExitWriteLock();
            }
            else
            {
                gate.ExitReadLock();
            }
        }
    }
}

/// <summary>An added item's external id is already in the gallery.</summary>
public sealed class DuplicateExternalIdException(string externalId)
    : Exception($"External id '{externalId}' already exists in the gallery.")
{
    public string ExternalId { get; } = externalId;
}
