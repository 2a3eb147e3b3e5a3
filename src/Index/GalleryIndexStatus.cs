namespace SanReid.Index;

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
/// <param name="Builds">Index builds (train + fill + calibrate) started since open; 0 after an open that loaded the
/// index file.</param>
/// <param name="Open">How the store was opened: time per phase and where the index came from.</param>
public sealed record GalleryIndexStatus(
    string ActiveFactory, int? Nprobe, double? CalibratedRecall, bool Building, double? LastBuildSeconds, string? LastError,
    long Items, long VectorBytes, double MaxWriteLockHoldMs, double MaxWriteLockWaitMs, int Builds, GalleryOpenReport Open);

/// <summary>What <see cref="GalleryStore.Open(GalleryStoreOptions)"/> did and how long each phase took.</summary>
/// <param name="DatabaseSeconds">Opening SQLite (schema, meta checks).</param>
/// <param name="ScanSeconds">Reading every row (id, filter fields, embedding) into memory in one pass.</param>
/// <param name="IndexSeconds">Loading (and reconciling) the index file, or building inline.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="IndexSource">"exact" (no index wanted), "file" (loaded as written), "file+N" (loaded, N ids
/// removed or added to match the database), "background" (no usable file: exact search until a background build is
/// swapped in), "built" (built before Open returned).</param>
public sealed record GalleryOpenReport(double DatabaseSeconds, double ScanSeconds, double IndexSeconds, long Rows, string IndexSource);
