namespace SanReid.Index;

/// <summary>The replica half of <see cref="GalleryStore"/>: a store over a shared PostgreSQL gallery
/// (<see cref="GalleryStoreOptions.PostgreSql"/>) follows the database's change feed (<see cref="GalleryChangeFeed"/>),
/// so items added or deleted through other replicas enter or leave its in-memory index.</summary>
public sealed partial class GalleryStore
{
    /// <summary>The change sequence the rows loaded at open reflect (0 for SQLite).</summary>
    private readonly long loadedSequence;

    private GalleryChangeFeed? feed;

    /// <summary>Where this replica stands against the shared gallery's change feed; null for a SQLite gallery.</summary>
    public GalleryReplicationStatus? Replication => feed?.Status;

    /// <summary>Opens a replica over PostgreSQL: connects, creates or checks the tables, loads every item in one
    /// snapshot, builds the index and starts following the change feed from the snapshot's sequence.</summary>
    private static GalleryStore OpenPostgreSql(
        GalleryStoreOptions options, FaissFactory? factory, long trainingPoints, Action<string>? beforeIndexBuild)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        PostgreSqlGalleryDatabase database = PostgreSqlGalleryDatabase.Open(
            options.PostgreSql!, options.Dimension, options.IndexFactory, options.EmbeddingModel);
        try
        {
            // The index file cache is per machine and keyed by a file path: not used over a shared database.
            var store = new GalleryStore(
                options with { DatabasePath = database.Path, PersistIndex = false }, factory, database, ownership: null,
                trainingPoints, beforeIndexBuild, watch.Elapsed.TotalSeconds);
            store.feed = GalleryChangeFeed.Start(store, database, store.loadedSequence, options.PostgreSql!.PollInterval);
            return store;
        }
        catch
        {
            database.ClearPool();
            throw;
        }
    }

    /// <summary>True once <see cref="Dispose"/> has begun.</summary>
    internal bool IsDisposed => disposed;

    /// <summary>True when the item is in memory.</summary>
    internal bool Contains(long id)
    {
        using var read = locks.Read();
        return catalog.TryGetPosition(id, out _);
    }

    /// <summary>The change lock local adds and deletes take (<see cref="GalleryLocks.Change"/>): the feed holds it
    /// while it reads the rows of added items and applies a batch.</summary>
    /// <exception cref="ObjectDisposedException">The store is disposed (the feed stops).</exception>
    internal GalleryLocks.Scope HoldChanges() => locks.Change();

    /// <summary>
    /// Applies changes read from the feed, in sequence order: an add enters memory and the index when the item is not
    /// there yet and its row still exists (<paramref name="rows"/>); a delete leaves when present. Both are idempotent,
    /// so replaying a change (or one this store made itself) changes nothing.
    /// </summary>
    /// <remarks>The caller holds <see cref="HoldChanges"/> from before it reads <paramref name="rows"/> until this
    /// returns, so no local add or delete commits in between: a row read there is still current for every local change
    /// (an item this store deleted after the feed read the add cannot come back), and a local add whose commit the feed
    /// saw is already in memory (no item enters twice). Then the short exclusive memory lock for the update itself.
    /// Nothing here reads the database.</remarks>
    /// <exception cref="ObjectDisposedException">The store is disposed (the feed stops).</exception>
    internal void ApplyChanges(
        IReadOnlyList<GalleryChange> changes, Dictionary<long, (GalleryItem Item, float[] Embedding)> rows, PostgreSqlGalleryDatabase shared)
    {
        using var write = locks.Write();
        var pendingItems = new List<GalleryItem>();
        var pendingVectors = new List<float>();
        var pending = new HashSet<long>();

        void Flush()
        {
            if (pendingItems.Count == 0)
            {
                return;
            }

            float[] vectors = [.. pendingVectors];
            foreach (GalleryItem item in pendingItems)
            {
                shared.Remember(item);
            }

            // Committed elsewhere: into active?.Index, the arena and the catalog (an index that refuses them is dropped
            // and the store searches exactly, as after a local add).
            Remember(pendingItems, vectors);
            pendingItems.Clear();
            pendingVectors.Clear();
            pending.Clear();
        }

        foreach (GalleryChange change in changes)
        {
            if (change.Added)
            {
                if (!catalog.TryGetPosition(change.ItemId, out _) && !pending.Contains(change.ItemId)
                    && rows.TryGetValue(change.ItemId, out var row))
                {
                    pending.Add(change.ItemId);
                    pendingItems.Add(row.Item);
                    pendingVectors.AddRange(row.Embedding);
                }
            }
            else
            {
                Flush();
                if (catalog.TryGetPosition(change.ItemId, out _))
                {
                    Forget([change.ItemId]);
                }

                shared.Forget([change.ItemId]);
            }
        }

        Flush();
        MaybeRebuild();
    }
}
