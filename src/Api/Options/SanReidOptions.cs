using System.ComponentModel.DataAnnotations;
using SanReid.Index;

namespace SanReid.Api.Options;

/// <summary>
/// <c>SanReid:Model</c>: the ONNX encoder. Relative paths resolve against the repository root (the folder holding
/// SanReid.sln above the content root) when there is one, else against the content root.
/// </summary>
public sealed class ModelOptions
{
    public const string Section = "SanReid:Model";

    /// <summary>ONNX file with the DESIGN.md contract (input <c>images</c> uint8 [N,H,W,3] RGB at the model's training size, output <c>embeddings</c> float32 [N,D]). Default: the synthetic-only model that scripts/ensure-model.sh exports from models/sanreid-resnet18-synth.fp16.safetensors.</summary>
    [Required]
    public string Path { get; set; } = "models/sanreid-resnet18-synth.onnx";

    /// <summary>Model card JSON. Default: the model path with <c>.onnx</c> replaced by <c>.card.json</c> (or <c>path + ".card.json"</c>).</summary>
    public string? CardPath { get; set; }

    /// <summary><c>auto</c> (CUDA when it loads, else CPU with a warning), <c>cuda</c> (fail start-up without it) or <c>cpu</c>.</summary>
    [Required]
    [RegularExpression("^(auto|cuda|cpu)$", ErrorMessage = "{0} must be auto, cuda or cpu.")]
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>CUDA device ordinal.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 = ONNX Runtime's default (one per physical core).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Most crops per ONNX Runtime run; larger requests run in several batches.</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 32;
}

/// <summary><c>SanReid:Gallery</c>: where the gallery lives (SanReid.Index GalleryStore).</summary>
public sealed class GalleryOptions : IValidatableObject
{
    public const string Section = "SanReid:Gallery";

    /// <summary><see cref="Store"/> value: one SQLite file owned by this process (the default; quick start).</summary>
    public const string Sqlite = "Sqlite";

    /// <summary><see cref="Store"/> value: a PostgreSQL database shared by any number of Api replicas.</summary>
    public const string PostgreSql = "PostgreSql";

    /// <summary>Where the gallery is kept: <c>Sqlite</c> (default: <see cref="DatabasePath"/>, one process) or
    /// <c>PostgreSql</c> (<see cref="ConnectionString"/>; any number of replicas, each keeping its in-memory index in
    /// step with the database's change feed).</summary>
    [Required]
    [RegularExpression("^(Sqlite|PostgreSql)$", ErrorMessage = "{0} must be Sqlite or PostgreSql.")]
    public string Store { get; set; } = Sqlite;

    /// <summary>Npgsql connection string for <c>Store=PostgreSql</c>, e.g.
    /// <c>Host=db;Database=sanreid;Username=sanreid;Password=...</c> (environment: <c>SanReid__Gallery__ConnectionString</c>).
    /// <c>Search Path</c> chooses the schema. Never logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite database file (created if missing). Relative paths resolve as <see cref="ModelOptions.Path"/>.</summary>
    [Required]
    public string DatabasePath { get; set; } = "data/gallery.db";

    /// <summary>FAISS factory string (inner product): Auto (the store chooses: exact Flat while small, then IVF{n},SQ8 with
    /// nprobe calibrated to the recall target, retrained in the background as the gallery grows), Flat, IVF{n},Flat,
    /// IVF{n},SQ8, HNSW{m}, IVF{n},PQ{m}.</summary>
    [Required]
    [RegularExpression(@"^(Auto|Flat|IVF\d+,Flat|IVF\d+,SQ8|HNSW\d+|IVF\d+,PQ\d+)$", ErrorMessage = "{0} must be Auto, Flat, IVF<n>,Flat, IVF<n>,SQ8, HNSW<m> or IVF<n>,PQ<m>.")]
    public string IndexFactory { get; set; } = "Auto";

    /// <summary>Write the trained index to "&lt;database&gt;.faiss" and load it at start-up instead of training again.</summary>
    public bool PersistIndex { get; set; } = true;

    /// <summary>Page size of <c>GET /gallery</c> when <c>limit</c> is absent.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest <c>limit</c> of <c>GET /gallery</c>.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Store != PostgreSql)
            yield break;
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult($"{Section}:ConnectionString is required when {Section}:Store is PostgreSql.", [nameof(ConnectionString)]);
            yield break;
        }
        string? problem = null;
        try
        {
            new PostgreSqlGalleryOptions { ConnectionString = ConnectionString }.Validate();
        }
        catch (ArgumentException e)
        {
            problem = e.Message;
        }
        if (problem is not null)
            yield return new ValidationResult($"{Section}:ConnectionString is not usable: {problem}", [nameof(ConnectionString)]);
    }
}

/// <summary>
/// <c>SanReid:Gallery:Images</c>: the crop kept with each item added through <c>POST /gallery</c>, served by
/// <c>GET /gallery/{id}/image</c> and shown by the search page. It is the upload as decoded and oriented (EXIF applied,
/// metadata dropped), scaled down to fit MaxWidth x MaxHeight with its aspect ratio kept, re-encoded as JPEG at
/// <see cref="Quality"/>. Items added while it is off, and imported embeddings, have none (their image_url is null).
/// </summary>
public sealed class GalleryImageOptions
{
    public const string Section = "SanReid:Gallery:Images";

    /// <summary>Keep crops. Off: nothing is stored, and no image work is done on upload.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest stored height in pixels (a smaller crop is kept at its size).</summary>
    [Range(16, 4096)]
    public int MaxHeight { get; set; } = 256;

    /// <summary>Largest stored width in pixels.</summary>
    [Range(16, 4096)]
    public int MaxWidth { get; set; } = 256;

    /// <summary>JPEG quality (1..100).</summary>
    [Range(1, 100)]
    public int Quality { get; set; } = 85;
}

/// <summary><c>SanReid:Limits</c>: what one request may carry.</summary>
public sealed class LimitsOptions
{
    public const string Section = "SanReid:Limits";

    /// <summary>Most images in one multipart request.</summary>
    [Range(1, 10_000)]
    public int MaxImagesPerRequest { get; set; } = 64;

    /// <summary>Largest width x height an image header may declare (checked before decoding). Default 40 MP.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Largest encoded size of one image in bytes. Default 16 MiB.</summary>
    [Range(1, 1L << 32)]
    public long MaxImageBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Largest request body in bytes (Kestrel and multipart limit; more gives 413). Default 64 MiB.</summary>
    [Range(1024, 1L << 34)]
    public long MaxBodyBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary><c>SanReid:Search</c>: k of <c>POST /search</c>.</summary>
public sealed class SearchOptions : IValidatableObject
{
    public const string Section = "SanReid:Search";

    /// <summary>k when the request gives none.</summary>
    [Range(1, 100_000)]
    public int DefaultK { get; set; } = 10;

    /// <summary>Largest accepted k; more gives 400 <c>invalid_k</c>.</summary>
    [Range(1, 100_000)]
    public int MaxK { get; set; } = 100;

    /// <summary>
    /// With <c>rerank=true</c>, the top max(k, RerankCandidates) cosine hits are re-ranked (k-reciprocal, among the
    /// query and those candidates). Cost grows with its square: (1 + C)^2 dot products per query (docs/search-reranking.md).
    /// </summary>
    [Range(1, 2_000)]
    public int RerankCandidates { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultK > MaxK)
            yield return new ValidationResult($"{Section}:DefaultK ({DefaultK}) must not exceed {Section}:MaxK ({MaxK}).", [nameof(DefaultK), nameof(MaxK)]);
    }
}

/// <summary>
/// <c>SanReid:Auth</c>: API keys sent in the <c>X-Api-Key</c> header. Keys are hashed (SHA-256) when the options are
/// read and compared in constant time; the plain keys are not kept. Gallery mutations (POST / DELETE gallery) need a
/// valid key; reads (search, embeddings, get, list, model) need one only when <see cref="RequireKeyForReads"/> is set.
/// With no keys configured, mutations are refused (401 <c>api_key_required</c>) unless
/// <see cref="AllowAnonymousWrites"/> is true (set by scripts/serve.sh and appsettings.Development.json for local use).
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "SanReid:Auth";

    /// <summary>Name of the request header carrying the key.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <summary>Shortest accepted key: 16 characters.</summary>
    public const int MinKeyLength = 16;

    /// <summary>Plain API keys (at least 16 characters each). Prefer <see cref="KeySha256"/> in shared configuration.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>SHA-256 of API keys (UTF-8), 64 hex digits each: <c>printf %s "$KEY" | sha256sum</c>.</summary>
    public string[] KeySha256 { get; set; } = [];

    /// <summary>Reads (search, embeddings, get, list, model) need a key too.</summary>
    public bool RequireKeyForReads { get; set; }

    /// <summary>Gallery mutations without a key are allowed (a present but wrong key is still refused). Default false.</summary>
    public bool AllowAnonymousWrites { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var key in ApiKeys)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length < MinKeyLength)
                yield return new ValidationResult($"{Section}:ApiKeys entries must be at least {MinKeyLength} characters.", [nameof(ApiKeys)]);
            else if (key.Trim().Length != key.Length)
                yield return new ValidationResult($"{Section}:ApiKeys entries must not start or end with whitespace (keys are compared exactly).", [nameof(ApiKeys)]);
        }
        foreach (var hash in KeySha256)
        {
            if (hash is null || hash.Trim().Length != 64 || !hash.Trim().All(Uri.IsHexDigit))
                yield return new ValidationResult($"{Section}:KeySha256 entries must be 64 hex digits (SHA-256 of the key).", [nameof(KeySha256)]);
        }
        if (RequireKeyForReads && ApiKeys.Length + KeySha256.Length == 0)
            yield return new ValidationResult($"{Section}:RequireKeyForReads needs at least one key in {Section}:ApiKeys or {Section}:KeySha256.", [nameof(RequireKeyForReads)]);
    }
}

/// <summary>
/// <c>SanReid:RateLimit</c>: a token bucket per API key (per client IP when no valid key is sent) over every
/// <c>/api/v1</c> request; over the limit gives 429 <c>rate_limited</c> with Retry-After. Health and metrics are not limited.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "SanReid:RateLimit";

    /// <summary>Rate limiting on or off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Tokens added per second per partition (sustained requests/s).</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 100;

    /// <summary>Bucket size (largest burst) per partition.</summary>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 200;
}

/// <summary><c>SanReid:Cors</c>: CORS is off (no CORS headers, preflight refused) unless origins are listed.</summary>
public sealed class CorsSettings
{
    public const string Section = "SanReid:Cors";

    /// <summary>Allowed origins, e.g. <c>https://ops.example.org</c>; empty = CORS off.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>
/// <c>SanReid:Batching</c>: dynamic micro-batching. Concurrent embed / search / add requests queue their crops; one
/// worker takes what is queued (waiting at most <see cref="MaxWaitMilliseconds"/> after the first crop, stopping at
/// <see cref="MaxBatchSize"/>) and runs it as one ONNX Runtime run. Results go back to each request in order.
/// </summary>
public sealed class BatchingOptions
{
    public const string Section = "SanReid:Batching";

    /// <summary>Off: each request runs its own ONNX Runtime call(s) on its own thread.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most crops gathered into one run (a single request with more is run whole, in chunks of <see cref="ModelOptions.MaxBatchSize"/>).</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Longest wait for more crops after the first one arrives, in milliseconds (0 = take only what is already queued).</summary>
    [Range(0.0, 1000.0)]
    public double MaxWaitMilliseconds { get; set; } = 2;

    /// <summary>Requests that may wait in the queue; more wait for room (back-pressure).</summary>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 1024;
}

/// <summary><c>SanReid:Startup</c>: background loading of the model and the gallery.</summary>
public sealed class StartupOptions
{
    public const string Section = "SanReid:Startup";

    /// <summary>Batch-1 runs after the model loads and before the service reports ready (the first runs allocate ONNX Runtime's memory).</summary>
    [Range(0, 10_000)]
    public int WarmUpRuns { get; set; } = 2;
}
