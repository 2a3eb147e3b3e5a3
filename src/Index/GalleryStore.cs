namespace SanReid.Index;

/// <summary>
/// The gallery: SQLite holds embeddings + metadata durably; memory holds one float32 copy of every embedding
/// (<see cref="VectorArena"/>), what filters need (<see cref="GalleryCatalog"/>) and a FAISS index over the ids.
/// Thread-safe. Dispose closes all of it.
/// </summary>
/// <remarks>
/// <para>Embeddings are float32 vectors of <see cref="Dimension"/> values with L2 norm 1 (± 1e-3), as the model
/// contract (DESIGN.md) produces them; they and queries are rescaled to unit norm, and scores are inner products =
/// cosine similarity, computed exactly from the in-memory copy and clamped to [-1, 1].</para>
/// <para>Search reads no SQLite except the metadata of the rows it returns. Filters (camera include/exclude, time
/// window, label) are evaluated in memory; a selection of at most <see cref="GalleryStoreOptions.ExactSelectionLimit"/>
/// items is scored exactly, a larger one goes through the FAISS index with an id bitmap (IDSelectorBitmap) and an
/// nprobe raised by 1 / selectivity. An approximate index that returns fewer than min(k, qualifying) hits is followed
/// by an exact scan of the qualifying items, so a search never returns fewer matches than qualify.</para>
/// <para>"Flat" is exact search over the in-memory copy (no FAISS index, no second copy). Index types that need
/// training (IVF) are trained once the gallery holds <see cref="FaissIndex.MinTrainingPoints"/> vectors (39 per
/// centroid); with <see cref="GalleryStoreOptions.AutoIndex"/> the store chooses and retrains the index itself
/// (<see cref="IndexPolicy"/>) and calibrates nprobe to <see cref="GalleryStoreOptions.TargetRecall"/>. Builds run
/// inside the add that calls for them, or in the background (<see cref="GalleryStoreOptions.BackgroundIndexBuild"/>)
/// while the current index keeps serving. At open a saved index file is loaded instead of trained
/// (<see cref="GalleryStoreOptions.PersistIndex"/>, <see cref="IndexFile"/>). HNSW cannot remove vectors: deleted ids are excluded at search time and the
/// graph is rebuilt once a quarter of it is deleted (and at every open).</para>
/// <para>Concurrency (<see cref="GalleryLocks"/>): searches run in parallel, concurrent unfiltered searches batched into
/// one FAISS call (<see cref="SearchBatcher"/>). Changes (add, delete, each bulk-delete transaction of
/// <see cref="BulkDeleteChunk"/> rows) are serialised and commit to SQLite first; only then is the exclusive lock on
/// memory taken, briefly, to apply them to the catalog, the arena and the index. Index builds copy rows out in chunks
/// and train and fill outside every lock; the adds and deletes made meanwhile are replayed onto the new index under one
/// short exclusive hold that swaps it in. Over SQLite one store owns its database file: <see cref="Open(GalleryStoreOptions)"/>
/// takes an exclusive OS lock on "&lt;database&gt;.lock" for the store's life. Over PostgreSQL
/// (<see cref="GalleryStoreOptions.PostgreSql"/>) any number of stores (replicas) share one database and follow its
/// change feed (GalleryStore.Replication.cs); the database, not a file lock, serialises their writes.</para>
/// <para>Index failures never undo committed data: when training or rebuilding fails, the store keeps searching the
/// index it has (exact Flat, or the previous one) and records why in <see cref="LastIndexError"/>; the configured index
/// is tried again at the next open.</para>
/// </remarks>
public sealed partial class GalleryStore : IDisposable
{
    /// <summary>Largest deviation from 1 allowed in an embedding's L2 norm.</summary>
    public const float NormTolerance = EmbeddingChecks.NormTolerance;

    /// <summary>Rows deleted per transaction (and per hold of the write lock) by <see cref="DeleteBefore"/>.</summary>
    public const int BulkDeleteChunk = 5_000;

    private readonly GalleryLocks locks = new();
    private readonly IGalleryDatabase database;
    private readonly FileStream? ownership;
    private readonly FaissFactory? configured;
    private readonly long configuredTrainingPoints;
    private readonly Action<string>? beforeIndexBuild;
    private readonly GalleryCatalog catalog = new();
    private readonly VectorArena arena;
    private readonly GallerySearcher searcher;
    private readonly IndexFile indexFile;
    private ActiveIndex? active;
    private bool configuredIndexFailed;
    private string? lastIndexError;
    private double? lastBuildSeconds;
    private int builds;
    private bool disposed;

    private GalleryStore(
        GalleryStoreOptions options, FaissFactory? configured, IGalleryDatabase database, FileStream? ownership,
        long configuredTrainingPoints, Action<string>? beforeIndexBuild, double databaseSeconds)
    {
        Options = options;
        this.configured = configured;
        this.database = database;
        this.ownership = ownership;
        this.configuredTrainingPoints = configuredTrainingPoints;
        this.beforeIndexBuild = beforeIndexBuild;
        arena = new VectorArena(options.Dimension);
        searcher = new GallerySearcher(catalog, arena, new SearchBatcher(), options);
        indexFile = new IndexFile(options.DatabasePath);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        loadedSequence = database.ScanAll((id, camera, captured, label, embedding) =>
        {
            int position = arena.Append(embedding);
            catalog.Put(position, id, camera, captured, label);
        });
        double scanSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        string source = OpenIndex();
        OpenReport = new GalleryOpenReport(databaseSeconds, scanSeconds, watch.Elapsed.TotalSeconds, catalog.Count, source);
    }

    /// <summary>The options the store was opened with.</summary>
    public GalleryStoreOptions Options { get; }

    /// <summary>Embedding dimension D.</summary>
    public int Dimension => Options.Dimension;

    /// <summary>The factory string searched now: "Flat" (exact) while the configured index is not built (too few items,
    /// a build in progress, or after a failed build: <see cref="LastIndexError"/>), else the configured or chosen one.</summary>
    public string ActiveIndexFactory => Volatile.Read(ref active)?.Factory ?? "Flat";

    /// <summary>What the open did, phase by phase (also in <see cref="IndexStatus"/>).</summary>
    public GalleryOpenReport OpenReport { get; }

    /// <summary>Why the last index build failed (exception type and message), or null when none failed since open.
    /// Searches stay correct meanwhile on the index the store had.</summary>
    public string? LastIndexError
    {
        get
        {
            using var _ = locks.Read();
            return lastIndexError;
        }
    }

    /// <summary>Number of stored items.</summary>
    public long Count
    {
        get
        {
            using var _ = locks.Read();
            return catalog.Count;
        }
    }

    /// <summary>The model fingerprint the gallery records (<see cref="GalleryStoreOptions.EmbeddingModel"/>, else the
    /// one stored in the database), or null.</summary>
    public string? EmbeddingModel => Options.EmbeddingModel ?? database.StoredEmbeddingModel();

    /// <summary>What the store searches with now.</summary>
    public GalleryIndexStatus IndexStatus
    {
        get
        {
            using var _ = locks.Read();
            return new GalleryIndexStatus(ActiveIndexFactory, active?.Nprobe, active?.CalibratedRecall, buildTask is { IsCompleted: false },
                lastBuildSeconds, lastIndexError, catalog.Count, arena.Bytes, locks.MaxWriteHoldMs,
                Math.Max(locks.MaxWriteWaitMs, locks.MaxChangeWaitMs), builds, OpenReport);
        }
    }

    /// <summary>Opens (or creates) the store, takes ownership of the database file, loads every embedding and its filter
    /// metadata into memory and builds (or loads, <see cref="GalleryStoreOptions.PersistIndex"/>) the index.</summary>
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
        ArgumentOutOfRangeException.ThrowIfNegative(options.ExactSelectionLimit, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.AutoFlatLimit, nameof(options));
        if (options.TargetRecall is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TargetRecall, "TargetRecall must lie in (0, 1].");
        }

        FaissFactory? factory = null;
        long trainingPoints = 0;
        if (options.IndexFactory != GalleryStoreOptions.AutoIndex)
        {
            // The allow-list runs before any native call: FAISS crashes the process on some factory strings it accepts.
            factory = FaissFactory.Parse(options.IndexFactory, options.Dimension);
            try
            {
                using FaissIndex probe = FaissIndex.Create(options.IndexFactory, options.Dimension);
                trainingPoints = probe.MinTrainingPoints;
            }
            catch (FaissException e)
            {
                throw new ArgumentException($"FAISS refused the index factory '{options.IndexFactory}': {e.Message}", nameof(options), e);
            }
        }

        if (options.PostgreSql is not null)
        {
            return OpenPostgreSql(options, factory, trainingPoints, beforeIndexBuild);
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

        FileStream ownership = GalleryFileLock.TakeOwnership(fullPath, out bool createdLockFile);
        GalleryDatabase? database = null;
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            database = GalleryDatabase.Open(fullPath, options.Dimension, options.IndexFactory, options.EmbeddingModel);
            return new GalleryStore(options with { DatabasePath = fullPath }, factory, database, ownership, trainingPoints,
                beforeIndexBuild, watch.Elapsed.TotalSeconds);
        }
        catch
        {
            database?.ClearPool();
            if (createdLockFile && database is null)
            {
                // Nothing usable was there (e.g. a device or an unwritable path): leave no lock file behind.
                GalleryFileLock.TryDelete(GalleryFileLock.LockPath(fullPath));
            }

            ownership.Dispose();

            throw;
        }
    }

    /// <summary>Adds items atomically (all or none); returns them with their new ids, in input order.</summary>
    /// <remarks>Each embedding is stored rescaled to unit norm (bit-identical when its norm is already within 1e-6 of
    /// 1), so scores of stored vectors stay cosines in [-1, 1]. Once the rows are committed nothing throws: a failure
    /// to train or rebuild the index leaves the index the store had in use (<see cref="LastIndexError"/>).</remarks>
    /// <exception cref="ArgumentException">Wrong dimension, non-finite values, or L2 norm off 1 by more than
    /// <see cref="NormTolerance"/>; an image that is empty, over <see cref="GalleryImage.MaxBytes"/> or without a media type.</exception>
    /// <exception cref="DuplicateExternalIdException">An external id already exists.</exception>
    public IReadOnlyList<GalleryItem> Add(IReadOnlyList<NewGalleryItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var externalIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            NewGalleryItem item = items[i] ?? throw new ArgumentException($"Item {i} is null.", nameof(items));
            EmbeddingChecks.Validate(item.Embedding, Dimension, $"Item {i}'s embedding", nameof(items));
            item.Image?.Validate($"Item {i}'s image", nameof(items));
            if (item.ExternalId is { } externalId && !externalIds.Add(externalId))
            {
                throw new DuplicateExternalIdException(externalId);
            }
        }

        if (items.Count == 0)
        {
            return [];
        }

        var vectors = new float[items.Count * Dimension];
        for (int i = 0; i < items.Count; i++)
        {
            Span<float> row = vectors.AsSpan(i * Dimension, Dimension);
            items[i].Embedding.CopyTo(row);
            EmbeddingChecks.Renormalise(row);
        }

        // Changes are serialised and commit first; memory (catalog, arena, index) is updated under one short exclusive
        // hold after the commit, so a search never waits for SQLite and never sees an uncommitted item.
        using var change = locks.Change();
        IReadOnlyList<GalleryItem> stored = database.Insert(items, vectors, DateTimeOffset.UtcNow, _ => { });
        using var _ = locks.Write();
        // Committed: from here on nothing may throw.
        Remember(stored, vectors);
        MaybeRebuild();
        return stored;
    }

    /// <summary>
    /// Puts committed items (rows of <paramref name="vectors"/>, in order) into the index in use, the arena and the
    /// catalog, and into the catch-up list of a build in progress: the memory half of <see cref="Add"/> and of a
    /// replicated add (<see cref="ApplyChanges"/>). Write lock held. Never throws: when the index refuses the vectors the
    /// store drops it and searches exactly until a build or the next open succeeds (<see cref="LastIndexError"/>).
    /// </summary>
    private void Remember(IReadOnlyList<GalleryItem> stored, float[] vectors)
    {
        long[] newIds = [.. stored.Select(item => item.Id)];
        if (active is not null)
        {
            try
            {
                active.Index.Add(vectors, newIds);
            }
            catch (Exception e)
            {
                // Committed: the items must stay findable. Search exactly until a build or the next open succeeds.
                DropIndex($"Adding {newIds.Length} vector(s) to the {active.Factory} index failed", e);
            }
        }

        for (int i = 0; i < stored.Count; i++)
        {
            GalleryItem item = stored[i];
            int position = catalog.NextPosition();
            ReadOnlySpan<float> row = vectors.AsSpan(i * Dimension, Dimension);
            if (position == arena.Rows)
            {
                arena.Append(row);
            }
            else
            {
                arena.Set(position, row);
            }

            catalog.Put(position, item.Id, item.CameraId, item.CapturedAt, item.Label);
        }

        addedDuringBuild?.AddRange(newIds);
        changedSincePersist = true;
    }

    /// <summary>The item with this id, or null.</summary>
    public GalleryItem? Get(long id)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return database.Get(id);
    }

    /// <summary>The image stored with this item (<see cref="NewGalleryItem.Image"/>), or null when the item does not exist
    /// or has none. Read from the database (SQLite file or the shared PostgreSQL), never held in memory.</summary>
    /// <exception cref="GalleryUnavailableException">The shared PostgreSQL database cannot be reached.</exception>
    public GalleryImage? GetImage(long id)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return database.GetImage(id);
    }

    /// <summary>The stored embedding of this id, or null.</summary>
    public float[]? GetEmbedding(long id)
    {
        using var _ = locks.Read();
        return catalog.TryGetPosition(id, out int position) ? arena.Row(position).ToArray() : null;
    }

    /// <summary>Items with id greater than <paramref name="afterId"/>, at most <paramref name="limit"/>, filtered.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> outside 1..10,000 or negative afterId.</exception>
    public GalleryPage List(GalleryFilter? filter = null, long afterId = 0, int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        ArgumentOutOfRangeException.ThrowIfNegative(afterId);
        ValidateFilter(filter);
        ObjectDisposedException.ThrowIf(disposed, this);
        return database.List(filter, afterId, limit);
    }

    /// <summary>Deletes an item; false when it did not exist. Never throws once the row is deleted.</summary>
    public bool Delete(long id)
    {
        using var change = locks.Change();
        if (!database.Delete(id))
        {
            return false;
        }

        using var _ = locks.Write();
        Forget([id]);
        MaybeRebuild();
        return true;
    }

    /// <summary>
    /// Deletes every item whose <paramref name="column"/> is before <paramref name="before"/> (retention: keep N days);
    /// returns how many were deleted. Works in transactions of <see cref="BulkDeleteChunk"/> rows, one change each, so
    /// adds go on between them and searches throughout. Items without a capture time are not
    /// deleted by <see cref="GalleryTimeColumn.CapturedAt"/>. Deleted items never appear in a search again.
    /// </summary>
    public long DeleteBefore(GalleryTimeColumn column, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var change = locks.Change();
            long[] ids = database.DeleteBefore(column, before, BulkDeleteChunk);
            using var _ = locks.Write();
            if (ids.Length > 0)
            {
                Forget(ids);
            }

            total += ids.Length;
            if (ids.Length < BulkDeleteChunk)
            {
                MaybeRebuild();
                return total;
            }
        }
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
        EmbeddingChecks.Validate(query, Dimension, "The query", nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (minScore is { } m && float.IsNaN(m))
        {
            throw new ArgumentException("minScore is NaN.", nameof(minScore));
        }

        ValidateFilter(filter);
        float[] q = query.ToArray();
        EmbeddingChecks.Renormalise(q);
        (int Position, float Score)[] top;
        long[] ids;
        using (locks.Read())
        {
            top = searcher.TopK(active, q, k, filter);
            if (minScore is { } min)
            {
                top = [.. top.TakeWhile(hit => hit.Score >= min)];
            }

            ids = [.. top.Select(hit => catalog.IdAt(hit.Position))];
        }

        // SQLite is read for the returned rows only, outside the lock; a row deleted meanwhile is left out.
        Dictionary<long, GalleryItem> items = database.GetItems(ids);
        var matches = new List<GalleryMatch>(top.Length);
        for (int i = 0; i < top.Length; i++)
        {
            if (items.TryGetValue(ids[i], out GalleryItem? item))
            {
                // Cosine of unit vectors; float rounding can overshoot 1 by an ulp or two, which callers must never see.
                matches.Add(new GalleryMatch(item, Math.Clamp(top[i].Score, -1f, 1f)));
            }
        }

        return matches;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        Task? build;
        // Wait for a change in flight (its SQLite commit and memory update), then refuse new ones.
        using (locks.Change())
        using (locks.Write())
        {
            disposed = true;
            locks.Closed = true;
            build = buildTask;
        }

        // The change feed stops at its next step (the write lock refuses a disposed store); wait for it.
        feed?.Dispose();

        // A background build checks `disposed` and gives up; wait for it so no native call outlives the index.
        try
        {
            build?.Wait();
        }
        catch (AggregateException)
        {
        }

        using (locks.WriteForClose())
        {
            PersistOnClose();
            active?.Dispose();
            active = null;
            database.ClearPool();
            ownership?.Dispose();
        }
    }

    /// <summary>Takes deleted ids out of memory and the index (write lock held; rows already deleted in SQLite).</summary>
    private void Forget(long[] ids)
    {
        foreach (long id in ids)
        {
            catalog.Remove(id);
        }

        deletedDuringBuild?.AddRange(ids);
        changedSincePersist = true;
        if (active is null)
        {
            return;
        }

        try
        {
            if (active.Index.SupportsRemove)
            {
                active.Index.Remove(ids);
            }
            else
            {
                active.Tombstones.UnionWith(ids);
            }
        }
        catch (Exception e)
        {
            // Committed: exclude the ids at search time instead (works for every index type).
            active.Tombstones.UnionWith(ids);
            lastIndexError = $"Removing {ids.Length} id(s) from the {active.Factory} index failed; they are excluded " +
                $"at search time instead. {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Write lock held: the index in use failed after a commit; search exactly from now on.</summary>
    private void DropIndex(string what, Exception e)
    {
        lastIndexError = $"{what}; searching exactly until the next open. {e.GetType().Name}: {e.Message}";
        configuredIndexFailed = true;
        ActiveIndex? old = active;
        active = null;
        old?.Dispose();
    }

    private static void ValidateFilter(GalleryFilter? filter)
    {
        if (filter is { CapturedFrom: { } from, CapturedTo: { } to } && to < from)
        {
            throw new ArgumentException($"The time window ends ({to:O}) before it starts ({from:O}).", nameof(filter));
        }
    }
}
