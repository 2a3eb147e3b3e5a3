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
