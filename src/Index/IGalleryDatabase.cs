namespace SanReid.Index;

/// <summary>
/// The durable layer under <see cref="GalleryStore"/>: items (metadata + float32 embedding), their images (a table
/// keyed by item id, written in the item's transaction and deleted with it) and the gallery's meta
/// (schema version, dimension, model fingerprint). Two implementations: <see cref="GalleryDatabase"/> (one SQLite file,
/// owned by one store) and <see cref="PostgreSqlGalleryDatabase"/> (shared by any number of replicas, with a change
/// feed). Ids are assigned by the database, ascending, never reused; times are UTC ticks (100 ns) in both.
/// </summary>
/// <remarks>Methods that write run with the store's write lock held; failures of the database itself (not of the
/// input) surface as <see cref="GalleryUnavailableException"/> where the backend can tell them apart.</remarks>
internal interface IGalleryDatabase
{
    /// <summary>Names the database in messages (a file path, or a PostgreSQL host/database without credentials).</summary>
    string Path { get; }

    /// <summary>
    /// Streams every row's id, filter metadata and embedding (by id ascending) into <paramref name="row"/>; returns the
    /// change sequence the rows reflect (0 for a backend without a change feed), from which a replica catches up.
    /// </summary>
    /// <exception cref="InvalidDataException">A stored embedding is not D float32 values (names the item id).</exception>
    long ScanAll(GalleryDatabase.RowVisitor row);

    /// <summary>Inserts all items atomically; <paramref name="beforeCommit"/> gets the new ids (input order) and can
    /// veto the commit by throwing.</summary>
    /// <exception cref="DuplicateExternalIdException">An external id is already stored.</exception>
    IReadOnlyList<GalleryItem> Insert(IReadOnlyList<NewGalleryItem> items, float[] vectors, DateTimeOffset createdAt, Action<long[]> beforeCommit);

    /// <summary>Deletes one row; false when absent.</summary>
    bool Delete(long id);

    /// <summary>At most <paramref name="limit"/> rows whose <paramref name="column"/> is before
    /// <paramref name="before"/>, deleted in one transaction; returns their ids. Rows without a value are kept.</summary>
    long[] DeleteBefore(GalleryTimeColumn column, DateTimeOffset before, int limit);

    GalleryItem? Get(long id);

    /// <summary>The image stored with item <paramref name="id"/>, or null (no such item, or none stored).</summary>
    GalleryImage? GetImage(long id);

    /// <summary>Metadata of the given ids that still exist (missing ids are absent); no embeddings are read.</summary>
    Dictionary<long, GalleryItem> GetItems(IReadOnlyCollection<long> ids);

    GalleryPage List(GalleryFilter? filter, long afterId, int limit);

    /// <summary>The model fingerprint recorded in the meta table, or null.</summary>
    string? StoredEmbeddingModel();

    /// <summary>Releases pooled connections (at the store's Dispose, or after a failed open).</summary>
    void ClearPool();
}
