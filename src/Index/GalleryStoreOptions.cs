namespace SanReid.Index;

/// <summary>Where and how a <see cref="GalleryStore"/> keeps its data.</summary>
public sealed record GalleryStoreOptions
{
    /// <summary>The <see cref="IndexFactory"/> value that lets the store choose and retrain its index as the gallery grows
    /// (<see cref="IndexPolicy"/>).</summary>
    public const string AutoIndex = "Auto";

    /// <summary>SQLite database file (created if missing). The durable copy of every embedding and its metadata.</summary>
    public required string DatabasePath { get; init; }
    /// <summary>Embedding dimension D; every added vector must have it. A database made with another D is refused.</summary>
    public required int Dimension { get; init; }
    /// <summary>FAISS factory string, inner product metric: "Flat", "IVF{n},Flat", "IVF{n},SQ8", "HNSW{m}",
    /// "IVF{n},PQ{m}[x{nbits}]" (ranges: <see cref="FaissFactory"/>), or <see cref="AutoIndex"/>.</summary>
    public string IndexFactory { get; init; } = "Flat";
    /// <summary>
    /// Identifies the model whose embeddings the gallery holds (e.g. the ONNX file's name and SHA-256). Scores between
    /// two models' embeddings mean nothing, so a non-empty database filled by another model is refused
    /// (<see cref="GalleryModelMismatchException"/>). Null: not checked and not recorded.
    /// </summary>
    public string? EmbeddingModel { get; init; }
    /// <summary>
    /// Train and rebuild indexes on a background thread while the current index keeps serving searches, adds and
    /// deletes (default false: inside the add or delete that calls for it, as small galleries and tests want).
    /// <see cref="GalleryStore.WaitForIndexBuild"/> waits for one in progress.
    /// </summary>
    public bool BackgroundIndexBuild { get; init; }
    /// <summary>
    /// Write each trained (IVF) index to "&lt;database&gt;.faiss" (and its description to "&lt;database&gt;.faiss.json")
    /// and load it at open instead of training again: what makes a million-item gallery ready in seconds. The file is
    /// only a cache; it is checked against the database (items added since are added, deleted ones removed).
    /// </summary>
    public bool PersistIndex { get; init; }
    /// <summary>Filtered searches selecting at most this many items are scored exactly over the selected items
    /// (cost: that many D-float dot products) instead of through the approximate index. Default 32,768.</summary>
    public int ExactSelectionLimit { get; init; } = 32_768;
    /// <summary>With <see cref="AutoIndex"/>: below this many items the index is exact (Flat). Default 50,000.</summary>
    public int AutoFlatLimit { get; init; } = 50_000;
    /// <summary>Recall@10 (against exact search) that nprobe is calibrated to after each IVF build, measured on stored
    /// items used as queries. Default 0.95; the calibration aims 0.02 above it.</summary>
    public double TargetRecall { get; init; } = 0.95;
    /// <summary>Concurrent unfiltered searches are gathered into one FAISS batch call (<see cref="SearchBatcher"/>).
    /// Default true.</summary>
    public bool BatchSearches { get; init; } = true;
    /// <summary>
    /// Keep the gallery in PostgreSQL instead of the SQLite file: any number of stores (replicas, one per process) open
    /// the same database, and each keeps its in-memory index in step with it through the database's change feed.
    /// <see cref="DatabasePath"/> is then only a label (the store reports the server and database instead) and
    /// <see cref="PersistIndex"/> is not used. Null (default): SQLite.
    /// </summary>
    public PostgreSqlGalleryOptions? PostgreSql { get; init; }
}

/// <summary>Which time a bulk delete compares: when the crop was captured, or when it was added.</summary>
public enum GalleryTimeColumn
{
    /// <summary>captured_at (items without one are never deleted by it).</summary>
    CapturedAt,
    /// <summary>created_at (every item has one).</summary>
    CreatedAt,
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

/// <summary>An added item's external id is already in the gallery.</summary>
public sealed class DuplicateExternalIdException(string externalId)
    : Exception($"External id '{externalId}' already exists in the gallery.")
{
    public string ExternalId { get; } = externalId;
}

/// <summary>What the store searches with now (for logs and health output).</summary>
/// <param name="ActiveFactory">Factory string of the index in use ("Flat" = exact).</param>
/// <param name="Nprobe">IVF lists probed per query, or null.</param>
/// <param name="CalibratedRecall">Recall@10 measured when nprobe was chosen, or null.</param>
/// <param name="Building">An index build is running in the background.</param>
/// <param name="LastBuildSeconds">Duration of the last completed build (train + add + calibration), or null.</param>
/// <param name="LastError">Why the last build failed (the previous index kept serving), or null.</param>
/// <param name="Items">Live items.</param>
/// <param name="VectorBytes">Bytes of the in-memory float32 copy of the embeddings.</param>
/// <param name="MaxWriteLockHoldMs">Longest time an add, delete, bulk-delete chunk or index swap held the exclusive
/// lock since open (milliseconds).</param>
/// <param name="MaxWriteLockWaitMs">Longest time one of them waited for it since open (milliseconds).</param>
public sealed record GalleryIndexStatus(
    string ActiveFactory, int? Nprobe, double? CalibratedRecall, bool Building, double? LastBuildSeconds, string? LastError,
    long Items, long VectorBytes, double MaxWriteLockHoldMs, double MaxWriteLockWaitMs);
