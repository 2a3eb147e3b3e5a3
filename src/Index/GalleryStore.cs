namespace SanReid.Index;

/// <summary>Where and how a <see cref="GalleryStore"/> keeps its data.</summary>
public sealed record GalleryStoreOptions
{
    /// <summary>SQLite database file (created if missing). The durable copy of every embedding and its metadata.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>Embedding dimension D; every added vector must have it. A database made with another D is refused.</summary>
    public required int Dimension { get; init; }
    /// <summary>FAISS factory string, inner product metric: "Flat", "IVF{n},Flat", "HNSW{m}", "IVF{n},PQ{m}".</summary>
    public string IndexFactory { get; init; } = "Flat";
}

/// <summary>
/// The gallery: SQLite holds embeddings + metadata durably, FAISS is the search structure rebuilt from it at open.
/// Thread-safe. Dispose closes both.
/// </summary>
public sealed class GalleryStore : IDisposable
{
    private GalleryStore() { }

    /// <summary>Opens (or creates) the store and loads FAISS from SQLite.</summary>
    public static GalleryStore Open(GalleryStoreOptions options) => throw new NotImplementedException("Index helper implements this.");

    /// <summary>Embedding dimension D.</summary>
    public int Dimension => throw new NotImplementedException();

    /// <summary>Number of stored items.</summary>
    public long Count => throw new NotImplementedException();

    /// <summary>Adds items atomically (all or none); returns them with their new ids, in input order.</summary>
    /// <exception cref="ArgumentException">Wrong dimension or non-finite values.</exception>
    /// <exception cref="DuplicateExternalIdException">An external id already exists.</exception>
    public IReadOnlyList<GalleryItem> Add(IReadOnlyList<NewGalleryItem> items) => throw new NotImplementedException();

    /// <summary>The item with this id, or null.</summary>
    public GalleryItem? Get(long id) => throw new NotImplementedException();

    /// <summary>The stored embedding of this id, or null.</summary>
    public float[]? GetEmbedding(long id) => throw new NotImplementedException();

    /// <summary>Items with id greater than <paramref name="afterId"/>, at most <paramref name="limit"/>, filtered.</summary>
    public GalleryPage List(GalleryFilter? filter = null, long afterId = 0, int limit = 50) => throw new NotImplementedException();

    /// <summary>Deletes an item; false when it did not exist.</summary>
    public bool Delete(long id) => throw new NotImplementedException();

    /// <summary>
    /// The top <paramref name="k"/> items by cosine score, descending, that pass <paramref name="filter"/> and have
    /// score ≥ <paramref name="minScore"/>. Returns fewer than k only when fewer items qualify.
    /// </summary>
    public IReadOnlyList<GalleryMatch> Search(ReadOnlySpan<float> query, int k, GalleryFilter? filter = null, float? minScore = null) =>
        throw new NotImplementedException();

    public void Dispose() { }
}

/// <summary>An added item's external id is already in the gallery.</summary>
public sealed class DuplicateExternalIdException(string externalId)
    : Exception($"External id '{externalId}' already exists in the gallery.")
{
    public string ExternalId { get; } = externalId;
}
